#!/usr/bin/env python3
"""Writes the broken-TIFF corpus beside this script (needs numpy and tifffile).
Each file is small (< 20 KB) and breaks one thing; tests/io_tiff_test.cpp names the error each gives."""
import os, struct
import numpy as np
import tifffile

here = os.path.dirname(os.path.abspath(__file__))
def path(name): return os.path.join(here, name)
def write(name, data):
    with open(path(name), "wb") as f: f.write(data)

image = (np.arange(32 * 32, dtype=np.int32).reshape(32, 32) - 5)
tifffile.imwrite(path("valid.tif"), image)
valid = open(path("valid.tif"), "rb").read()

write("empty.tif", b"")
write("magic_only.tif", b"II*\x00")
# The first IFD offset points far past the end of the file.
write("ifd_beyond_file.tif", b"II*\x00" + struct.pack("<I", 10_000_000) + b"\x00" * 8)
# Header and IFD intact, pixels cut short (uncompressed data lies after the IFD in tifffile's layout? check below).
t = tifffile.TiffFile(path("valid.tif")); off = t.pages[0].dataoffsets[0]; t.close()
write("truncated_pixels.tif", valid[: off + 100] if off + 100 < len(valid) else valid[:-100])
# Three samples per pixel (RGB).
tifffile.imwrite(path("rgb.tif"), np.zeros((8, 8, 3), np.uint8), photometric="rgb")
# Complex pixels: SampleFormat 6 (COMPLEXIEEEFP) is no detector's.
tifffile.imwrite(path("complex.tif"), np.zeros((8, 8), np.complex64))
# 100000 x 100000 uncompressed int32 declared in a 200-byte file.
tifffile.imwrite(path("absurd_dimensions.tif"), np.zeros((4, 4), np.int32))
raw = bytearray(open(path("absurd_dimensions.tif"), "rb").read())
with tifffile.TiffFile(path("absurd_dimensions.tif")) as tf:
    for tag in tf.pages[0].tags:
        if tag.name in ("ImageWidth", "ImageLength", "RowsPerStrip"):
            fmt = {3: "<H", 4: "<I"}[tag.dtype]
            struct.pack_into(fmt, raw, tag.valueoffset, min(100000, 65535) if fmt == "<H" else 100000)
write("absurd_dimensions.tif", bytes(raw))
# Deflate data overwritten with garbage.
tifffile.imwrite(path("corrupt_deflate.tif"), image, compression="zlib")
raw = bytearray(open(path("corrupt_deflate.tif"), "rb").read())
with tifffile.TiffFile(path("corrupt_deflate.tif")) as tf: off = tf.pages[0].dataoffsets[0]; n = tf.pages[0].databytecounts[0]
raw[off:off + n] = bytes((i * 37 + 11) & 0xFF for i in range(n))
write("corrupt_deflate.tif", bytes(raw))
# Big-endian float32 tiled, multi-page: valid, read as such (not broken, kept for the format matrix).
tifffile.imwrite(path("valid_be_tiled_float32_2pages.tif"),
                 (np.arange(2 * 40 * 24, dtype=np.float32).reshape(2, 40, 24) * 0.5), byteorder=">", tile=(16, 16))

def minimal_tiff(width, height, bits, sample_format, data, compression=1):
    """A little-endian one-strip TIFF built by hand, so that its tags can lie."""
    entries = [(256, 4, width), (257, 4, height), (258, 3, bits), (259, 3, compression), (262, 3, 1),
               (273, 4, 8), (277, 3, 1), (278, 4, height), (279, 4, len(data)), (339, 3, sample_format)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value))
        for tag, kind, value in entries) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8 + len(data)) + data + ifd
# 2000 x 2000 int32 (16 MB) declared, 64 bytes present.
write("lying_dimensions.tif", minimal_tiff(2000, 2000, 32, 2, b"\x00" * 64))
# Deflate claiming 10000 x 10000 uint8 (100 MB) from 16 bytes.
write("compression_bomb.tif", minimal_tiff(10000, 10000, 8, 1, b"\x78\x9c" + b"\x00" * 14, compression=8))
# 12-bit integers.
write("bits12.tif", minimal_tiff(4, 4, 12, 1, b"\x00" * 24))
# Zero width.
write("zero_width.tif", minimal_tiff(0, 4, 16, 1, b"\x00" * 8))
# A valid hand-built 3 x 2 uint16 image, the reference for the builder itself.
write("valid_minimal_u16.tif", minimal_tiff(3, 2, 16, 1, struct.pack("<6H", 1, 2, 3, 65535, 0, 7)))
for name in sorted(os.listdir(here)):
    if name.endswith(".tif"): print(name, os.path.getsize(path(name)))
