#include "io/h5_writer.hpp"

#include "io/frame.hpp"
#include "io/hdf5_handle.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>

namespace vulkanite::io {
namespace {

void write_attribute(hid_t object, const std::string& name, const H5Attribute& value) {
  const h5::Handle space = h5::check(H5Screate(H5S_SCALAR), H5Sclose, "H5Screate");
  if (const auto* number = std::get_if<double>(&value)) {
    const h5::Handle attribute = h5::check(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                           H5Aclose, ("H5Acreate2 " + name).c_str());
    h5::check(H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, number), ("H5Awrite " + name).c_str());
    return;
  }
  // Fixed-length, null-padded UTF-8: every reader takes it (variable-length strings trip some
  // older tools), and no terminator byte is needed.
  const std::string& text = std::get<std::string>(value);
  const h5::Handle type = h5::check(H5Tcopy(H5T_C_S1), H5Tclose, "H5Tcopy");
  h5::check(H5Tset_size(type.get(), std::max<std::size_t>(text.size(), 1)), "H5Tset_size");
  h5::check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  h5::check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  const h5::Handle attribute = h5::check(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                         H5Aclose, ("H5Acreate2 " + name).c_str());
  const std::string padded = text.empty() ? std::string(1, '\0') : text;
  h5::check(H5Awrite(attribute.get(), type.get(), padded.data()), ("H5Awrite " + name).c_str());
}

void write_array(hid_t file, const H5Array& array) {
  if (array.shape.empty() || array.shape.size() > 3)
    throw std::invalid_argument(array.path + ": results arrays have 1 to 3 dimensions, not " + std::to_string(array.shape.size()));
  const std::size_t count = std::accumulate(array.shape.begin(), array.shape.end(), std::size_t{1}, std::multiplies<>());
  if (count != array.values.size())
    throw std::invalid_argument(array.path + ": shape holds " + std::to_string(count) + " values, given " +
                                std::to_string(array.values.size()));
  const std::vector<hsize_t> dims(array.shape.begin(), array.shape.end());
  const h5::Handle space = h5::check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose, "H5Screate_simple");
  const h5::Handle links = h5::check(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "H5Pcreate");
  h5::check(H5Pset_create_intermediate_group(links.get(), 1), "H5Pset_create_intermediate_group");
  const h5::Handle dataset = h5::check(H5Dcreate2(file, array.path.c_str(), H5T_IEEE_F32LE, space.get(), links.get(), H5P_DEFAULT, H5P_DEFAULT),
                                       H5Dclose, ("H5Dcreate2 " + array.path).c_str());
  if (count > 0)
    h5::check(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, array.values.data()),
              ("H5Dwrite " + array.path).c_str());
  for (const auto& [name, value] : array.attributes) write_attribute(dataset.get(), name, value);
}

}  // namespace

void write_h5_results(const std::filesystem::path& path, const H5Results& results) {
  const h5::Quiet quiet;
  try {
    h5::Handle file = h5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "cannot create");
    for (const auto& [name, value] : results.attributes) write_attribute(file.get(), name, value);
    for (const auto& array : results.arrays) write_array(file.get(), array);
    h5::check(H5Fclose(file.release()), "closing");
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw FormatError(path.string() + ": " + e.what());
  }
}

}  // namespace vulkanite::io
