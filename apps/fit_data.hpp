#pragma once
// The inputs of `vulkanite fit` (apps/fit_command.hpp): arrays read from .npy or .h5 files, lists
// typed on the command line, the data cube laid out as the fitter wants it ([fit][point]), and
// the built-in synthetic cubes with their truth. Every error is one line naming the option or
// the file at fault.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vulkanite::apps {

// An array of any number of dimensions, its values converted to double.
struct NumericArray {
  std::vector<std::size_t> shape;
  std::vector<double> values;
  std::string name;  // the file, for messages
};

// A .npy file of any shape (integer or floating point, C order), or an HDF5 dataset (`dataset`,
// else found as io::open_hdf5 finds frames) read as a stack [frames, ...frame shape].
// Throws std::runtime_error naming the file.
NumericArray read_array(const std::filesystem::path& path, const std::string& dataset = "");

// "1,2.5,-inf": comma-separated numbers (inf, -inf, nan accepted by the caller's choice).
// Throws std::invalid_argument "OPTION: 'x' is not a number".
std::vector<double> parse_numbers(const std::string& text, const std::string& option);
// "0,3": comma-separated non-negative integers.
std::vector<std::uint32_t> parse_indices(const std::string& text, const std::string& option);

// Fits laid out for the fitter: data [fit][point], fits = product of grid.
struct FitCube {
  std::vector<std::size_t> grid;  // {rows, columns} of a cube, {fits} of a 2-D array
  std::size_t fits = 0, points = 0;
  std::vector<float> data;
};

// A data array [y, x, point] or [fit, point] (`points_first` false), or [point, y, x] or
// [point, fit] (true). Throws std::invalid_argument naming `what` for another number of
// dimensions and for a value that is not finite ("FILE: value [3, 4, 17] is not finite").
FitCube to_cube(const NumericArray& array, bool points_first, const std::string& what);

}  // namespace vulkanite::apps
