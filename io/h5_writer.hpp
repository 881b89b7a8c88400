#pragma once
// Results as a small HDF5 file any tool reads (h5py, silx, DIALS): named float32 arrays of one
// to three dimensions ([frames, azimuth, radial] for 2D integration of a stack), each with string
// or number attributes, plus attributes on the root group.
// For integration results: the radial axis, I, sigma, and the units and parameters as attributes.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace vulkanite::io {

using H5Attribute = std::variant<std::string, double>;

struct H5Array {
  std::string path;                  // "/entry/result/I"; missing groups are created
  std::vector<std::size_t> shape;    // {n}, {ny, nx} or {frames, ny, nx}
  std::vector<float> values;         // row-major, shape's product long
  std::map<std::string, H5Attribute> attributes;
};

struct H5Results {
  std::map<std::string, H5Attribute> attributes;  // on the root group "/"
  std::vector<H5Array> arrays;
};

// Creates `path` (replacing an existing file) with everything in `results`. Throws
// std::invalid_argument for a shape that does not match its values, FormatError naming the file
// for any HDF5 failure.
void write_h5_results(const std::filesystem::path& path, const H5Results& results);

}  // namespace vulkanite::io
