"""Tables the cable parser reads: station spellings, origin names, labels and vocabularies.

Cables vary; where a variant is a matter of data rather than of structure it lives here,
so that a new oddity is one table entry (and one test named after the cable that shows it).
"""
from __future__ import annotations

# Station codes as they appear in Cablegate reference ids (two-digit year + station + serial),
# from the 251,287 ids of the archive (stations seen at least five times, misspellings left out).
KNOWN_STATIONS: frozenset[str] = frozenset("""
    ABIDJAN ABUDHABI ABUJA ACCRA ADANA ADDISABABA AITTAIPEI ALEXANDRIA ALGIERS ALMATY AMMAN
    AMSTERDAM ANKARA ANTANANARIVO APIA ASHGABAT ASMARA ASTANA ASUNCION ATHENS AUCKLAND BAGHDAD BAKU
    BAMAKO BANDARSERIBEGAWAN BANGKOK BANGUI BANJUL BARCELONA BASRAH BEIJING BEIRUT BELFAST BELGRADE
    BELIZE BELMOPAN BERLIN BERN BISHKEK BOGOTA BRASILIA BRATISLAVA BRAZZAVILLE BRIDGETOWN BRUSSELS
    BUCHAREST BUDAPEST BUENOSAIRES BUJUMBURA CAIRO CALCUTTA CALGARY CANBERRA CAPETOWN CARACAS
    CASABLANCA CDGENEVA CHENGDU CHENNAI CHIANGMAI CHISINAU CIUDADJUAREZ COLOMBO CONAKRY COPENHAGEN
    COTONOU CURACAO DAKAR DAMASCUS DARESSALAAM DHAHRAN DHAKA DILI DJIBOUTI DOHA DUBAI DUBLIN DURBAN
    DUSHANBE DUSSELDORF FLORENCE FRANKFURT FREETOWN FUKUOKA GABORONE GENEVA GEORGETOWN GRENADA
    GUADALAJARA GUANGZHOU GUATEMALA GUAYAQUIL HALIFAX HAMBURG HAMILTON HANOI HARARE HAVANA HELSINKI
    HERMOSILLO HILLAH HOCHIMINHCITY HONGKONG HYDERABAD IRANRPODUBAI ISLAMABAD ISTANBUL IZMIR JAKARTA
    JEDDAH JERUSALEM JOHANNESBURG KABUL KADUNA KAMPALA KARACHI KATHMANDU KHARTOUM KIEV KIGALI
    KINGSTON KINSHASA KIRKUK KOLKATA KOLONIA KOROR KUALALUMPUR KUWAIT KYIV LAGOS LAHORE LAPAZ
    LEIPZIG LIBREVILLE LILONGWE LIMA LISBON LJUBLJANA LOME LONDON LUANDA LUSAKA LUXEMBOURG MADRID
    MAJURO MALABO MANAGUA MANAMA MANILA MAPUTO MARSEILLE MASERU MATAMOROS MBABANE MELBOURNE MEXICO
    MILAN MINSK MOGADISHU MONROVIA MONTERREY MONTEVIDEO MONTREAL MOSCOW MOSUL MUMBAI MUNICH MUSCAT
    NAHA NAIROBI NAPLES NASSAU NDJAMENA NEWDELHI NIAMEY NICOSIA NOGALES NOUAKCHOTT NUEVOLAREDO
    OSAKAKOBE OSLO OTTAWA OUAGADOUGOU PANAMA PARAMARIBO PARIS PARISFR PARTO PERTH PESHAWAR PHNOMPENH
    PODGORICA PORTAUPRINCE PORTLOUIS PORTMORESBY PORTOFSPAIN PRAGUE PRAIA PRETORIA PRISTINA QUEBEC
    QUITO RABAT RANGOON RECIFE REYKJAVIK RIGA RIODEJANEIRO RIYADH ROME RPODUBAI SANAA SANJOSE
    SANSALVADOR SANTIAGO SANTODOMINGO SAOPAULO SAPPORO SARAJEVO SEOUL SHANGHAI SHENYANG SINGAPORE
    SKOPJE SOFIA STATE STOCKHOLM STPETERSBURG STRASBOURG SURABAYA SUVA SYDNEY TAIPEI TALLINN
    TASHKENT TBILISI TEGUCIGALPA TEHRAN TELAVIV THEHAGUE THESSALONIKI TIJUANA TIRANA TOKYO TORONTO
    TRIPOLI TUNIS ULAANBAATAR UNESCOPARISFR UNROME UNVIEVIENNA USEUBRUSSELS USNATO USOSCE
    USUNNEWYORK VALLETTA VANCOUVER VATICAN VIENNA VIENTIANE VILNIUS VLADIVOSTOK WARSAW WELLINGTON
    WINDHOEK YAOUNDE YEKATERINBURG YEREVAN ZAGREB
""".split())

# Station spellings in cable text (spaces already removed) -> the canonical station of the ids.
STATION_ALIASES: dict[str, str] = {
    "SECSTATE": "STATE",
    "SECSTATEWASHDC": "STATE",
    "STATEWASHDC": "STATE",
    "HAGUE": "THEHAGUE",
    "USUN": "USUNNEWYORK",
    "USUNNY": "USUNNEWYORK",
    "USUNNEWYORKNY": "USUNNEWYORK",
    "UNVIE": "UNVIEVIENNA",
    "VAT": "VATICAN",
    "UNESCOPARIS": "UNESCOPARISFR",
    "USUNESCO": "UNESCOPARISFR",
    "USUNESCOPARIS": "UNESCOPARISFR",
    "USMISSIONUNESCOPARIS": "UNESCOPARISFR",
    "DUBAIRPO": "RPODUBAI",
    "USMISSIONUNVIEVIENNA": "UNVIEVIENNA",
    "USMISSIONUSNATO": "USNATO",
    "USMISSIONUSUNNEWYORK": "USUNNEWYORK",
    "USMISSIONGENEVA": "GENEVA",
    "USMISSIONUSOSCE": "USOSCE",
    "USINTHAVANA": "HAVANA",
    "AITTAIPEI": "AITTAIPEI",
    "USDELSECRETARY": "PARTO",
    "SECRETARY": "PARTO",
    "USLOTRIPOLI": "TRIPOLI",
    "USEUBRUSSELS": "USEUBRUSSELS",
    "REOBASRAH": "BASRAH",
    "MEXICOCITY": "MEXICO",
    "GUATEMALACITY": "GUATEMALA",
    "PANAMACITY": "PANAMA",
    "KUWAITCITY": "KUWAIT",
    "VATICANCITY": "VATICAN",
    "HOCHIMINH": "HOCHIMINHCITY",
    "RIO": "RIODEJANEIRO",
}

# Prefixes of an FM/TO/INFO addressee that name the kind of post, not the place.
POST_PREFIXES: tuple[str, ...] = ("AMEMBASSY", "AMCONSUL", "USMISSION", "AMCONSULATE", "USDEL", "USLO", "USINT")

# The archive's origin names where they are not "Embassy " + the station in title case.
STATION_NAMES: dict[str, str] = {
    "ABUDHABI": "Embassy Abu Dhabi",
    "ADANA": "Consulate Adana",
    "ADDISABABA": "Embassy Addis Ababa",
    "AITTAIPEI": "American Institute Taiwan, Taipei",
    "AMSTERDAM": "Consulate Amsterdam",
    "BANDARSERIBEGAWAN": "Embassy Bandar Seri Begawan",
    "BARCELONA": "Consulate Barcelona",
    "BASRAH": "REO Basrah",
    "BRUSSELS": "Embassy Brussels",
    "BUENOSAIRES": "Embassy Buenos Aires",
    "CALCUTTA": "Consulate Kolkata",
    "CAPETOWN": "Consulate Cape Town",
    "CASABLANCA": "Consulate Casablanca",
    "CHENNAI": "Consulate Chennai",
    "CIUDADJUAREZ": "Consulate Ciudad Juarez",
    "CURACAO": "Consulate Curacao",
    "DARESSALAAM": "Embassy Dar Es Salaam",
    "DUBAI": "Consulate Dubai",
    "GENEVA": "US Mission Geneva",
    "GUADALAJARA": "Consulate Guadalajara",
    "HAMBURG": "Consulate Hamburg",
    "HAVANA": "US Interests Section Havana",
    "HERMOSILLO": "Consulate Hermosillo",
    "IRANRPODUBAI": "Iran RPO Dubai",
    "ISTANBUL": "Consulate Istanbul",
    "JEDDAH": "Consulate Jeddah",
    "JERUSALEM": "Consulate Jerusalem",
    "KIEV": "Embassy Kyiv",
    "KOLKATA": "Consulate Kolkata",
    "KUALALUMPUR": "Embassy Kuala Lumpur",
    "LAGOS": "Consulate Lagos",
    "LAHORE": "Consulate Lahore",
    "LAPAZ": "Embassy La Paz",
    "MELBOURNE": "Consulate Melbourne",
    "MILAN": "Consulate Milan",
    "MONTERREY": "Consulate Monterrey",
    "MONTREAL": "Consulate Montreal",
    "MUMBAI": "Consulate Mumbai",
    "MUNICH": "Consulate Munich",
    "NAPLES": "Consulate Naples",
    "NEWDELHI": "Embassy New Delhi",
    "PARTO": "US Delegation, Secretary",
    "PESHAWAR": "Consulate Peshawar",
    "PHNOMPENH": "Embassy Phnom Penh",
    "PORTAUPRINCE": "Embassy Port Au Prince",
    "PORTLOUIS": "Embassy Port Louis",
    "PORTOFSPAIN": "Embassy Port Of Spain",
    "RECIFE": "Consulate Recife",
    "RIODEJANEIRO": "Consulate Rio De Janeiro",
    "RPODUBAI": "Iran RPO Dubai",
    "SANJOSE": "Embassy San Jose",
    "SANSALVADOR": "Embassy San Salvador",
    "SANTODOMINGO": "Embassy Santo Domingo",
    "SAOPAULO": "Consulate Sao Paulo",
    "SHANGHAI": "Consulate Shanghai",
    "SHENYANG": "Consulate Shenyang",
    "STATE": "Secretary of State",
    "STRASBOURG": "Consulate Strasbourg",
    "TAIPEI": "American Institute Taiwan, Taipei",
    "TELAVIV": "Embassy Tel Aviv",
    "THEHAGUE": "Embassy The Hague",
    "TIJUANA": "Consulate Tijuana",
    "UNVIEVIENNA": "UNVIE",
    "USNATO": "Mission USNATO",
    "USUNNEWYORK": "USUN New York",
    "VLADIVOSTOK": "Consulate Vladivostok",
    "TRIPOLI": "Embassy Tripoli",
    "HONGKONG": "Consulate Hong Kong",
    "USOSCE": "Mission USOSCE",
    "USEUBRUSSELS": "USEU Brussels",
    "UNESCOPARISFR": "UNESCO Paris",
}

# FM lines whose origin name the archive gives differently from the station's usual name.
FM_ORIGIN_NAMES: dict[str, str] = {
    "SECSTATE WASHDC": "Secretary of State",
    "AIT TAIPEI": "American Institute Taiwan, Taipei",
    "USEU BRUSSELS": "USEU Brussels",
    "USINT HAVANA": "US Interests Section Havana",
    "USMISSION GENEVA": "US Mission Geneva",
    "USMISSION UNVIE VIENNA": "UNVIE",
    "USMISSION USNATO": "Mission USNATO",
    "USMISSION USUN NEW YORK": "USUN New York",
    "REO BASRAH": "REO Basrah",
    "IRAN RPO DUBAI": "Iran RPO Dubai",
    "RPO DUBAI": "Iran RPO Dubai",
    "USDEL SECRETARY": "US Delegation, Secretary",
}

# Header field labels as cables spell them (longest first within each; matched as whole labels).

# Spelled-out classification banners -> the word.
CLASSIFICATION_WORDS: dict[str, str] = {
    "TOPSECRET": "TOP SECRET",
    "SECRET": "SECRET",
    "CONFIDENTIAL": "CONFIDENTIAL",
    "UNCLAS": "UNCLASSIFIED",
    "UNCLASSIFIED": "UNCLASSIFIED",
    "LIMITEDOFFICIALUSE": "UNCLASSIFIED",
}

# Handling captions read off the lines after the classification banner (the one caption table).
# The single words first: they also count inside a line they share with other text, such as an
# addressee line ("DOL FOR ILAB SENSITIVE SIPDIS") or the banner itself ("RIGA 000777 SIPDIS").
RUN_IN_CAPTIONS: tuple[str, ...] = ("SIPDIS", "NOFORN", "EXDIS", "NODIS", "LIMDIS", "STADIS", "SENSITIVE")
CAPTIONS: tuple[str, ...] = RUN_IN_CAPTIONS + (
    "ROGER", "CHEROKEE", "FOR OFFICIAL USE ONLY", "EFTO", "NOCONTRACT", "ORCON", "PROPIN", "REL TO",
    "DISSENT CHANNEL", "MED CHANNEL", "NOTAL", "CODEL", "VISAS DONKEY",
)

# Date-time group precedence letters -> precedence words.
PRECEDENCE_LETTERS: dict[str, str] = {
    "Z": "FLASH", "O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE", "Y": "EMERGENCY",
}
PRECEDENCES: tuple[str, ...] = ("NIACT IMMEDIATE", "FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")

MONTHS: dict[str, int] = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
