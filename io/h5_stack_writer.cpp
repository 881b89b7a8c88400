#include "io/h5_stack_writer.hpp"

#include <stdexcept>

#include "io/hdf5_handle.hpp"

namespace vulkanite::io {
namespace {

// File and memory types of each pixel type: little-endian in the file, as detectors write it.
std::pair<hid_t, hid_t> hdf5_types(PixelType type) {
  switch (type) {
    case PixelType::int8:
      return {H5T_STD_I8LE, H5T_NATIVE_INT8};
    case PixelType::uint8:
      return {H5T_STD_U8LE, H5T_NATIVE_UINT8};
    case PixelType::int16:
      return {H5T_STD_I16LE, H5T_NATIVE_INT16};
    case PixelType::uint16:
      return {H5T_STD_U16LE, H5T_NATIVE_UINT16};
    case PixelType::int32:
      return {H5T_STD_I32LE, H5T_NATIVE_INT32};
    case PixelType::uint32:
      return {H5T_STD_U32LE, H5T_NATIVE_UINT32};
    case PixelType::float32:
      return {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT};
    case PixelType::float64:
      return {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE};
  }
  throw std::logic_error("hdf5_types: unknown pixel type");
}

// Fixed-length and null-terminated, as h5py and the Dectris files write them (a null-padded string
// of exactly its length loses its last character in readers that convert to C strings).
void string_attribute(hid_t object, const char* name, const std::string& text) {
  const h5::Handle space = h5::check(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  const h5::Handle type = h5::check(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  h5::check(H5Tset_size(type.get(), text.size() + 1), "H5Tset_size");
  h5::check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "H5Tset_strpad");
  const h5::Handle attribute =
      h5::check(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, name);
  h5::check(H5Awrite(attribute.get(), type.get(), text.c_str()), name);
}

h5::Handle group(hid_t file, const char* path, const char* nx_class) {
  h5::Handle g = h5::check(H5Gcreate2(file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose, path);
  string_attribute(g.get(), "NX_class", nx_class);
  return g;
}

}  // namespace

struct H5StackWriter::Impl {
  std::filesystem::path path;
  std::size_t frames = 0;
  std::array<std::size_t, 2> shape{};
  PixelType type = PixelType::int32;
  h5::Handle file, dataset;

  // Runs `body`, turning HDF5's failures into a FormatError that names the file.
  template <class F>
  void guarded(F&& body) {
    const h5::Quiet quiet;
    try {
      body();
    } catch (const std::runtime_error& e) {
      throw FormatError(path.string() + ": " + e.what());
    }
  }
};

H5StackWriter::H5StackWriter(const std::filesystem::path& path, std::size_t frames, std::array<std::size_t, 2> shape,
                             PixelType type)
    : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.path = path;
  m.frames = frames;
  m.shape = shape;
  m.type = type;
  m.guarded([&] {
    m.file = h5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "cannot create");
    const auto entry = group(m.file.get(), "/entry", "NXentry");
    const auto data = group(m.file.get(), "/entry/data", "NXdata");
    string_attribute(data.get(), "signal", "data");
    // Contiguous: frames are written whole and read whole, and no chunk index is needed.
    const hsize_t dims[3] = {frames, shape[0], shape[1]};
    const h5::Handle space = h5::check(H5Screate_simple(3, dims, nullptr), H5Sclose, "H5Screate_simple");
    m.dataset = h5::check(H5Dcreate2(m.file.get(), "/entry/data/data", hdf5_types(type).first, space.get(), H5P_DEFAULT,
                                     H5P_DEFAULT, H5P_DEFAULT),
                          H5Dclose, "H5Dcreate2 /entry/data/data");
  });
}

H5StackWriter::~H5StackWriter() = default;  // the handles close themselves

void H5StackWriter::write(std::size_t index, const Frame& frame) {
  auto& m = *impl_;
  if (!m.dataset) throw std::logic_error(m.path.string() + ": write after close");
  if (index >= m.frames)
    throw std::invalid_argument(m.path.string() + ": frame " + std::to_string(index) + " of a stack of " +
                                std::to_string(m.frames));
  if (frame.shape != std::vector<std::size_t>{m.shape[0], m.shape[1]} || frame.type != m.type)
    throw std::invalid_argument(m.path.string() + ": " + frame.source +
                                " does not have the stack's shape and pixel type");
  m.guarded([&] {
    const h5::Handle file_space = h5::check(H5Dget_space(m.dataset.get()), H5Sclose, "H5Dget_space");
    const hsize_t start[3] = {index, 0, 0}, count[3] = {1, m.shape[0], m.shape[1]};
    h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
              "H5Sselect_hyperslab");
    const h5::Handle memory_space = h5::check(H5Screate_simple(3, count, nullptr), H5Sclose, "H5Screate_simple");
    h5::check(H5Dwrite(m.dataset.get(), hdf5_types(m.type).second, memory_space.get(), file_space.get(), H5P_DEFAULT,
                       frame.data.data()),
              "H5Dwrite /entry/data/data");
  });
}

void H5StackWriter::write_number(const std::string& path, double value, const std::string& units) {
  auto& m = *impl_;
  if (!m.file) throw std::logic_error(m.path.string() + ": write after close");
  m.guarded([&] {
    const h5::Handle space = h5::check(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
    const h5::Handle links = h5::check(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate");
    h5::check(H5Pset_create_intermediate_group(links.get(), 1), "H5Pset_create_intermediate_group");
    const h5::Handle dataset = h5::check(
        H5Dcreate2(m.file.get(), path.c_str(), H5T_IEEE_F64LE, space.get(), links.get(), H5P_DEFAULT, H5P_DEFAULT),
        H5Dclose, ("H5Dcreate2 " + path).c_str());
    h5::check(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value),
              ("H5Dwrite " + path).c_str());
    string_attribute(dataset.get(), "units", units);
  });
}

void H5StackWriter::close() {
  auto& m = *impl_;
  m.guarded([&] {
    m.dataset.reset();
    if (m.file) h5::check(H5Fclose(m.file.release()), "closing");
  });
}

}  // namespace vulkanite::io
