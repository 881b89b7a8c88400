#!/usr/bin/env python3
"""Writes the broken-.npy corpus beside this script (needs numpy). Each file is small (< 20 KB) and
breaks one thing; tests/io_npy_test.cpp names the error each gives."""
import os, struct
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
def path(name): return os.path.join(here, name)
def write(name, data):
    with open(path(name), "wb") as f: f.write(data)
def npy(header, data=b"", version=(1, 0)):
    text = header.encode("latin1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    size = struct.pack("<H", len(text)) if version[0] == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes(version) + size + text + data

np.save(path("valid.npy"), np.arange(12, dtype=np.int16).reshape(3, 4) - 3)
valid = open(path("valid.npy"), "rb").read()
write("empty.npy", b"")
write("magic_only.npy", b"\x93NUMPY")
write("truncated_header.npy", valid[:40])
write("truncated_data.npy", valid[:-5])
write("bad_version.npy", b"\x93NUMPY\x07\x00" + valid[8:])
write("header_length_beyond_file.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0x7FFFFFF0) + b"{}")
write("garbage_header.npy", npy("{'descr': '<i2', 'fortran_order': Maybe, 'shape': (3, 4), }", b"\0" * 24))
write("missing_shape.npy", npy("{'descr': '<i2', 'fortran_order': False, }", b"\0" * 24))
write("object_dtype.npy", npy("{'descr': '|O', 'fortran_order': False, 'shape': (3, 4), }", b"\0" * 96))
write("complex_dtype.npy", npy("{'descr': '<c8', 'fortran_order': False, 'shape': (3, 4), }", b"\0" * 96))
write("int64_dtype.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 4), }", b"\0" * 96))
write("fortran_order.npy", npy("{'descr': '<i2', 'fortran_order': True, 'shape': (3, 4), }", b"\0" * 24))
write("one_dimensional.npy", npy("{'descr': '<i2', 'fortran_order': False, 'shape': (12,), }", b"\0" * 24))
write("four_dimensional.npy", npy("{'descr': '<i2', 'fortran_order': False, 'shape': (1, 1, 3, 4), }", b"\0" * 24))
write("zero_dimension.npy", npy("{'descr': '<i2', 'fortran_order': False, 'shape': (0, 4), }"))
write("absurd_dimensions.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", b"\0" * 64))
write("absurd_stack.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 100, 100), }", b"\0" * 64))
write("overflowing_dimension.npy", npy("{'descr': '<u1', 'fortran_order': False, 'shape': (99999999999999999999999, 2), }"))
# Valid files of the other header versions and of big-endian data, read as such.
write("valid_v2_be_u4.npy", npy("{'descr': '>u4', 'fortran_order': False, 'shape': (2, 3), }",
                                np.array([[1, 2, 3], [4, 5, 0xFFFFFFFF]], ">u4").tobytes(), (2, 0)))
write("valid_v3_be_f4_stack.npy", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2, 2), }",
                                      np.array([0.5, -1, 2, 3, 4, 5, 6, np.nan], ">f4").tobytes(), (3, 0)))
for name in sorted(os.listdir(here)):
    if name.endswith(".npy"): print(name, os.path.getsize(path(name)))
