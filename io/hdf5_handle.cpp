#include "io/hdf5_handle.hpp"

#include <stdexcept>
#include <vector>

namespace vulkanite::io::h5 {
namespace {

herr_t collect(unsigned, const H5E_error2_t* error, void* data) {
  if (error->desc && *error->desc) static_cast<std::vector<std::string>*>(data)->emplace_back(error->desc);
  return 0;
}

}  // namespace

std::string last_error() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &messages);
  if (messages.empty()) return "unknown HDF5 error";
  // Downward: the API call's own message first, the deepest cause last; both are worth reading
  // ("unable to open file: file signature not found"), the ones between rarely are.
  if (messages.size() == 1 || messages.front() == messages.back()) return messages.front();
  return messages.front() + ": " + messages.back();
}

Handle check(hid_t id, Handle::Close close, const char* what) {
  if (id < 0) throw std::runtime_error(std::string(what) + ": " + last_error());
  return Handle(id, close);
}

void check(herr_t status, const char* what) {
  if (status < 0) throw std::runtime_error(std::string(what) + ": " + last_error());
}

}  // namespace vulkanite::io::h5

namespace vulkanite::io::h5 {

bool link_exists(hid_t file, const std::string& path) {
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    const std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix == "/") continue;
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

std::optional<double> read_number(hid_t file, const std::string& path) {
  if (!link_exists(file, path)) return std::nullopt;
  const Handle dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset) return std::nullopt;
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) return std::nullopt;
  // A damaged file can claim a 3 GB "double"; libhdf5 would allocate its conversion buffer.
  if (H5Tget_size(type.get()) > 16 || H5Dget_storage_size(dataset.get()) > 1024) return std::nullopt;
  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
  double value = 0;
  if (H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0)
    return std::nullopt;
  return value;
}

std::optional<std::string> read_string_attribute(hid_t file, const std::string& path, const char* name) {
  if (H5Aexists_by_name(file, path.c_str(), name, H5P_DEFAULT) <= 0) return std::nullopt;
  const Handle attribute(H5Aopen_by_name(file, path.c_str(), name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attribute) return std::nullopt;
  const Handle type(H5Aget_type(attribute.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) return std::nullopt;
  const Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
  if (H5Tis_variable_str(type.get()) > 0) {
    const Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.get(), H5T_VARIABLE);
    char* text = nullptr;
    if (H5Aread(attribute.get(), memory.get(), &text) < 0 || !text) return std::nullopt;
    std::string result(text);
    H5free_memory(text);
    return result;
  }
  const std::size_t size = H5Tget_size(type.get());
  if (size == 0 || size > 4096) return std::nullopt;
  // One byte more than the file's size: the memory type is null-terminated, and HDF5 drops the
  // last character of a null-padded string of exactly `size` characters to make room for the
  // terminator otherwise ("angstrom" read as "angstro").
  std::string result(size + 1, '\0');
  const Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory.get(), size + 1);
  if (H5Aread(attribute.get(), memory.get(), result.data()) < 0) return std::nullopt;
  result.resize(result.find('\0') == std::string::npos ? size : result.find('\0'));
  while (!result.empty() && result.back() == ' ') result.pop_back();  // H5T_STR_SPACEPAD
  return result;
}

}  // namespace vulkanite::io::h5
