"""Opening a Whoosh index faster (whoosh-reloaded 2.7.x; pinned in pyproject.toml).

Each segment's term dictionary is a HashReader, which reads the directory of its 256 hash tables
with 256 reads of 12 bytes, each going through the compound file's SubFile and StructFile: with
13 segments, 3,300 reads and about a third of opening the searcher of a one-shot query. Here the
directory is read with one read. Everything else is Whoosh's HashReader.__init__ as it stands.
"""
from __future__ import annotations

import os

from whoosh.filedb.filetables import (_INT_SIZE, FileFormatError, HashReader, _dir_entry, _directory_size,
                                      _hash_functions)


def _hash_reader_init(self, dbfile, length=None, magic=b"HSH3", startoffset=0):
    self.dbfile = dbfile
    self.startoffset = startoffset
    self.is_closed = False

    if length is None:
        dbfile.seek(0, os.SEEK_END)
        length = dbfile.tell() - startoffset

    dbfile.seek(startoffset)
    filemagic = dbfile.read(4)
    if filemagic != magic:
        raise FileFormatError("Unknown file header %r" % filemagic)
    self.hashtype = dbfile.read_byte()
    self.hashfn = _hash_functions[self.hashtype]
    dbfile.read_int()  # unused future expansion bits
    dbfile.read_int()
    self.startofdata = dbfile.tell()

    exptr = startoffset + length - _INT_SIZE
    exlen = dbfile.get_int(exptr)  # the length of the extras, at the end of the file
    expos = exptr - exlen
    dbfile.seek(expos)
    self._read_extras()

    # The directory of hash tables, (position, number of slots) each, just before the extras:
    # one read instead of Whoosh's one per table.
    dbfile.seek(expos - _directory_size)
    directory = dbfile.read(_directory_size)
    self.tables = [_dir_entry.unpack_from(directory, i * _dir_entry.size) for i in range(256)]
    self.endofdata = self.tables[0][0]  # the first hash table starts where the key/value pairs end


WHOOSH_HASH_READER_INIT = HashReader.__init__  # Whoosh's own, for the tests
HashReader.__init__ = _hash_reader_init
