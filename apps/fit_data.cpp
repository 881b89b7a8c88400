#include "apps/fit_data.hpp"

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

static_assert(std::endian::native == std::endian::little, "the .npy reader assumes a little-endian host");

std::string_view value_of(std::string_view header, std::string_view key, const std::string& name) {
  // Built by appending: GCC 12's -Wrestrict misfires on "'" + std::string(key) at -O3.
  std::string quoted(1, '\'');
  quoted.append(key).push_back('\'');
  const auto at = header.find(quoted);
  if (at == std::string_view::npos) throw std::runtime_error(name + ": .npy header without '" + std::string(key) + "'");
  auto rest = header.substr(at + key.size() + 2);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) throw std::runtime_error(name + ": bad .npy header");
  rest = rest.substr(colon + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

template <class T>
void convert(const char* bytes, std::size_t count, std::vector<double>& out) {
  out.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

// io::open_npy reads 2-D and 3-D frames; `fit` also needs 1-D (frequencies, initial values) and
// [y, x, point] cubes of any point count, hence this small reader of numpy's own layout.
NumericArray read_npy(const std::filesystem::path& path) {
  NumericArray array;
  array.name = path.filename().string();
  const std::string file = io::read_whole_file(path);
  if (file.size() < 10 || file.compare(0, 6, "\x93NUMPY") != 0) throw std::runtime_error(array.name + ": not a .npy file");
  const auto major = static_cast<unsigned char>(file[6]);
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i)
    header_length |= static_cast<std::size_t>(static_cast<unsigned char>(file[8 + i])) << (8 * i);
  const std::size_t start = 8 + length_bytes + header_length;
  if (start > file.size()) throw std::runtime_error(array.name + ": truncated .npy header");
  const std::string_view header(file.data() + 8 + length_bytes, header_length);
  const auto descr_text = value_of(header, "descr", array.name);
  const std::string descr(descr_text.substr(1, descr_text.find('\'', 1) - 1));
  if (value_of(header, "fortran_order", array.name).starts_with("True"))
    throw std::runtime_error(array.name + ": Fortran-order arrays are not supported (save with C order)");
  auto shape_text = value_of(header, "shape", array.name);
  shape_text = shape_text.substr(1, shape_text.find(')') - 1);
  for (std::size_t pos = 0; pos < shape_text.size();) {
    while (pos < shape_text.size() && (shape_text[pos] == ' ' || shape_text[pos] == ',')) ++pos;
    if (pos == shape_text.size()) break;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(shape_text.data() + pos, shape_text.data() + shape_text.size(), n);
    if (ec != std::errc()) throw std::runtime_error(array.name + ": bad .npy shape");
    array.shape.push_back(n);
    pos = static_cast<std::size_t>(end - shape_text.data());
  }
  const std::size_t count = std::accumulate(array.shape.begin(), array.shape.end(), std::size_t{1}, std::multiplies<>());
  const char* bytes = file.data() + start;
  const std::size_t available = file.size() - start;
  auto need = [&](std::size_t size) {
    if (count > available / size) throw std::runtime_error(array.name + ": truncated .npy data");
  };
  const std::string type = descr.size() > 1 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=') ? descr.substr(1) : descr;
  if (type == "f8") need(8), convert<double>(bytes, count, array.values);
  else if (type == "f4") need(4), convert<float>(bytes, count, array.values);
  else if (type == "i8") need(8), convert<std::int64_t>(bytes, count, array.values);
  else if (type == "u8") need(8), convert<std::uint64_t>(bytes, count, array.values);
  else if (type == "i4") need(4), convert<std::int32_t>(bytes, count, array.values);
  else if (type == "u4") need(4), convert<std::uint32_t>(bytes, count, array.values);
  else if (type == "i2") need(2), convert<std::int16_t>(bytes, count, array.values);
  else if (type == "u2") need(2), convert<std::uint16_t>(bytes, count, array.values);
  else if (type == "i1") need(1), convert<std::int8_t>(bytes, count, array.values);
  else if (type == "u1" || type == "b1") need(1), convert<std::uint8_t>(bytes, count, array.values);
  else throw std::runtime_error(array.name + ": .npy type '" + descr + "' is not supported (integers or floats)");
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
