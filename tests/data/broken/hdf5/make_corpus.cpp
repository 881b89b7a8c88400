// Makes the broken-HDF5 corpus beside it (not built by CMake; kept to show how each file was made):
//   h5c++ -std=c++20 make_corpus.cpp -o /tmp/make_corpus && (cd tests/data/broken/hdf5 && /tmp/make_corpus)
// Each file is a few KB and breaks one thing; io_hdf5_test.cpp pins the message each gives.
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

hid_t create(const char* name) { return H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }

hid_t links() {
  const hid_t plist = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(plist, 1);
  return plist;
}

void dataset(hid_t file, const char* path, hid_t type, std::vector<hsize_t> dims, const void* data, hid_t dcpl = H5P_DEFAULT,
             const hsize_t* max_dims = nullptr) {
  const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims);
  const hid_t lcpl = links();
  const hid_t set = H5Dcreate2(file, path, type, space, lcpl, dcpl, H5P_DEFAULT);
  if (data) H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(set);
  H5Pclose(lcpl);
  H5Sclose(space);
}

std::vector<std::uint16_t> ramp(std::size_t n) {
  std::vector<std::uint16_t> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<std::uint16_t>(i * 7919u);
  return values;
}

}  // namespace

int main() {
  std::ofstream("empty.h5", std::ios::binary);  // zero bytes

  {  // the HDF5 signature, then garbage where the superblock should be
    std::ofstream out("garbage_after_signature.h5", std::ios::binary);
    out.write("\x89HDF\r\n\x1a\n", 8);
    for (int i = 0; i < 500; ++i) out.put(static_cast<char>((i * 37 + 11) & 0xff));
  }

  {  // a good NXmx stack cut to half its size
    const hid_t file = create("truncated_full.tmp");
    const auto values = ramp(2 * 32 * 32);
    dataset(file, "/entry/data/data", H5T_NATIVE_UINT16, {2, 32, 32}, values.data());
    H5Fclose(file);
    std::filesystem::copy_file("truncated_full.tmp", "truncated.h5", std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file("truncated.h5", std::filesystem::file_size("truncated_full.tmp") / 2);
    std::filesystem::remove("truncated_full.tmp");
  }

  {  // NeXus groups, but no frames
    const hid_t file = create("no_frames.h5");
    const double wavelength = 1.0;
    dataset(file, "/entry/instrument/beam/incident_wavelength", H5T_NATIVE_DOUBLE, {1}, &wavelength);
    H5Fclose(file);
  }

  {  // a group where the frames should be
    const hid_t file = create("group_as_data.h5");
    const hid_t lcpl = links();
    H5Gclose(H5Gcreate2(file, "/entry/data/data", lcpl, H5P_DEFAULT, H5P_DEFAULT));
    H5Pclose(lcpl);
    H5Fclose(file);
  }

  {  // strings where the frames should be
    const hid_t file = create("string_data.h5");
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 8);
    const char text[2][8] = {"frame 0", "frame 1"};
    dataset(file, "/entry/data/data", type, {2}, text);
    H5Tclose(type);
    H5Fclose(file);
  }

  {  // a stack of 10^12-pixel frames: chunked and never written, so the file stays tiny
    const hid_t file = create("absurd_dims.h5");
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[3] = {1, 64, 64};
    H5Pset_chunk(dcpl, 3, chunk);
    dataset(file, "/entry/data/data", H5T_NATIVE_UINT32, {1000, 1000000, 1000000}, nullptr, dcpl);
    H5Pclose(dcpl);
    H5Fclose(file);
  }

  {  // one dimension: not frames
    const hid_t file = create("wrong_rank.h5");
    const auto values = ramp(100);
    dataset(file, "/entry/data/data", H5T_NATIVE_UINT16, {100}, values.data());
    H5Fclose(file);
  }

  {  // int64 pixels: no io::PixelType for them
    const hid_t file = create("int64_data.h5");
    const std::vector<std::int64_t> values(4 * 4, 3);
    dataset(file, "/entry/data/data", H5T_NATIVE_INT64, {4, 4}, values.data());
    H5Fclose(file);
  }

  {  // an extendible stack that never got a frame
    const hid_t file = create("empty_stack.h5");
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[3] = {1, 16, 16};
    const hsize_t max_dims[3] = {H5S_UNLIMITED, 16, 16};
    H5Pset_chunk(dcpl, 3, chunk);
    dataset(file, "/entry/data/data", H5T_NATIVE_UINT16, {0, 16, 16}, nullptr, dcpl, max_dims);
    H5Pclose(dcpl);
    H5Fclose(file);
  }

  {  // an Eiger master file whose data file is missing
    const hid_t file = create("dangling_link.h5");
    const hid_t lcpl = links();
    H5Lcreate_external("dangling_link_data_000001.h5", "/entry/data/data", file, "/entry/data/data_000001", lcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    H5Fclose(file);
  }

  {  // dangling_link.h5 with one byte changed (found by fuzz_hdf5): the fractal-heap address in
     // /entry/data's Link Info message goes from undefined (all 0xff) to 0xffffffffff00ffff.
     // libhdf5 1.10.8 then takes the group for a dense one and segfaults in H5Lexists (H5B2_open ->
     // H5F__accum_read, memcpy from NULL); io/child_probe.cpp contains it.
    std::ifstream in("dangling_link.h5", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Link Info message: type 2, size 24, flags 0, 3 reserved bytes; version 0, flags 0; heap address.
    const std::string link_info = std::string("\x02\x00\x18\x00\x00\x00\x00\x00\x00\x00", 10) + std::string(16, '\xff');
    const auto at = bytes.find(link_info);
    if (at == std::string::npos || bytes.find(link_info, at + 1) != std::string::npos) return 1;
    bytes[at + 12] = '\0';
    std::ofstream("corrupt_link_info.h5", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  {  // a deflated stack whose first chunk is overwritten with garbage: opens, fails on frame 0
    const hid_t file = create("corrupt_chunk.h5");
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[3] = {1, 32, 32};
    H5Pset_chunk(dcpl, 3, chunk);
    H5Pset_deflate(dcpl, 6);
    const auto values = ramp(2 * 32 * 32);
    dataset(file, "/entry/data/data", H5T_NATIVE_UINT16, {2, 32, 32}, values.data(), dcpl);
    H5Pclose(dcpl);
    const hid_t set = H5Dopen2(file, "/entry/data/data", H5P_DEFAULT);
    const hsize_t offset[3] = {0, 0, 0};
    unsigned mask = 0;
    haddr_t address = 0;
    hsize_t size = 0;
    H5Dget_chunk_info_by_coord(set, offset, &mask, &address, &size);
    H5Dclose(set);
    H5Fclose(file);
    std::fstream out("corrupt_chunk.h5", std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(static_cast<std::streamoff>(address));
    for (hsize_t i = 0; i < size; ++i) out.put(static_cast<char>(0xA5 ^ (i & 0xff)));
  }

  {  // LZ4-compressed (filter 32004), then the filter id patched to 32999, which no plugin has
    const hid_t file = create("unknown_filter.h5");
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[3] = {1, 16, 16};
    H5Pset_chunk(dcpl, 3, chunk);
    H5Pset_filter(dcpl, 32004, H5Z_FLAG_MANDATORY, 0, nullptr);
    const auto values = ramp(2 * 16 * 16);
    dataset(file, "/entry/data/data", H5T_NATIVE_UINT16, {2, 16, 16}, values.data(), dcpl);
    H5Pclose(dcpl);
    H5Fclose(file);
    std::fstream io("unknown_filter.h5", std::ios::binary | std::ios::in | std::ios::out);
    std::string bytes((std::istreambuf_iterator<char>(io)), std::istreambuf_iterator<char>());
    const std::string lz4("\x04\x7d", 2), unknown("\xe7\x80", 2);  // 32004, 32999 little-endian
    if (bytes.find(lz4) == std::string::npos || bytes.find(lz4) != bytes.rfind(lz4)) return 1;
    io.seekp(static_cast<std::streamoff>(bytes.find(lz4)));
    io.write(unknown.data(), 2);
  }
  return 0;
}
