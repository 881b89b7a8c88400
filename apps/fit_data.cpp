#include "apps/fit_data.hpp"

#include "io/npy.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string_view>

#include "io/frame.hpp"
#include "io/frame_source.hpp"

namespace vulkanite::apps {
namespace {

NumericArray read_npy(const std::filesystem::path& path) {
  auto whole = io::read_npy_array(path);
  NumericArray array;
  array.name = path.filename().string();
  array.shape = std::move(whole.shape);
  array.values = std::move(whole.values);
  return array;
}

NumericArray read_h5(const std::filesystem::path& path, const std::string& dataset) {
  auto source = io::open_hdf5(path, dataset);
  NumericArray array;
  array.name = path.filename().string();
  for (std::size_t i = 0; i < source->frame_count(); ++i) {
    const auto frame = source->read(i);
    if (i == 0) {
      array.shape = frame.shape;
      array.shape.insert(array.shape.begin(), source->frame_count());
    }
    for (const float v : frame.to_float32()) array.values.push_back(v);
  }
  // A single 2-D dataset reads as one frame: that is the array itself.
  if (array.shape.size() == 3 && array.shape[0] == 1) array.shape.erase(array.shape.begin());
  return array;
}

}  // namespace

NumericArray read_array(const std::filesystem::path& path, const std::string& dataset) {
  switch (io::detect_format(path)) {
    case io::Format::npy: return read_npy(path);
    case io::Format::hdf5: return read_h5(path, dataset);
    default: throw std::runtime_error(path.string() + ": neither a .npy nor an HDF5 file");
  }
}

std::vector<double> parse_numbers(const std::string& text, const std::string& option) {
  std::vector<double> values;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = std::min(text.find(',', pos), text.size());
    std::string item = text.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    double v = 0;
    if (item == "inf" || item == "+inf") v = INFINITY;
    else if (item == "-inf") v = -INFINITY;
    else {
      const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (item.empty() || ec != std::errc() || end != item.data() + item.size())
        throw std::invalid_argument(option + ": '" + item + "' is not a number");
    }
    values.push_back(v);
    pos = comma + 1;
  }
  return values;
}

std::vector<std::uint32_t> parse_indices(const std::string& text, const std::string& option) {
  std::vector<std::uint32_t> indices;
  for (const double v : parse_numbers(text, option)) {
    if (!(v >= 0 && v < 1e6) || v != std::floor(v))
      throw std::invalid_argument(option + ": '" + std::to_string(v) + "' is not a parameter index");
    indices.push_back(static_cast<std::uint32_t>(v));
  }
  return indices;
}

FitCube to_cube(const NumericArray& a, bool points_first, const std::string& what) {
  if (a.shape.size() != 2 && a.shape.size() != 3)
    throw std::invalid_argument(what + ": " + std::to_string(a.shape.size()) + "-D array; " +
                                (points_first ? "[point, y, x] or [point, fit]" : "[y, x, point] or [fit, point]") +
                                " needed");
  FitCube cube;
  const std::size_t total = a.values.size();
  cube.points = points_first ? a.shape.front() : a.shape.back();
  cube.grid.assign(points_first ? a.shape.begin() + 1 : a.shape.begin(), points_first ? a.shape.end() : a.shape.end() - 1);
  cube.fits = cube.points == 0 ? 0 : total / cube.points;
  if (cube.fits == 0) throw std::invalid_argument(what + ": empty array");
  cube.data.resize(total);
  for (std::size_t n = 0; n < cube.fits; ++n) {
    for (std::size_t k = 0; k < cube.points; ++k) {
      const std::size_t from = points_first ? k * cube.fits + n : n * cube.points + k;
      const double v = a.values[from];
      if (!std::isfinite(v)) {
        std::string index = "[";
        std::size_t rest = from;
        for (std::size_t d = a.shape.size(); d-- > 0;) {
          index.insert(1, std::to_string(rest % a.shape[d]) + (d + 1 < a.shape.size() ? ", " : ""));
          rest /= a.shape[d];
        }
        throw std::invalid_argument(what + ": value " + index + "] is not finite");
      }
      cube.data[n * cube.points + k] = static_cast<float>(v);
    }
  }
  return cube;
}

}  // namespace vulkanite::apps
