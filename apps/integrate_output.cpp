#include "apps/integrate_output.hpp"

#include "io/h5_writer.hpp"
#include "io/npy.hpp"
#include "io/xy.hpp"

#include <vulkanite/version.hpp>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace vulkanite::apps {
namespace {

std::vector<double> widen(std::span<const float> values) { return {values.begin(), values.end()}; }

void append(std::vector<float>& to, const std::vector<float>& from) { to.insert(to.end(), from.begin(), from.end()); }

}  // namespace

OutputFormat output_format(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".xy") return OutputFormat::xy;
  if (ext == ".h5" || ext == ".hdf5") return OutputFormat::h5;
  if (ext == ".npy") return OutputFormat::npy;
  throw std::invalid_argument("--output " + path.string() + ": unknown format '" + ext +
                              "' (known: .xy for 1D, .h5 or .hdf5, .npy)");
}

void check_output(const std::filesystem::path& path, OutputFormat format, bool two_dimensional) {
  if (format == OutputFormat::xy && two_dimensional)
    throw std::invalid_argument("--output " + path.string() +
                                ": .xy holds 1D results; write 2D results (--npt-azim) to .h5 or .npy");
  const auto directory = path.parent_path();
  if (!directory.empty() && !std::filesystem::is_directory(directory))
    throw std::invalid_argument("--output " + path.string() + ": no directory " + directory.string());
}

ResultWriter::ResultWriter(OutputSpec spec, std::size_t frames)
    : spec_(std::move(spec)),
      frames_(frames),
      bins_(spec_.radial.size() * std::max<std::size_t>(1, spec_.azimuthal.size())) {
  check_output(spec_.path, spec_.format, !spec_.azimuthal.empty());
  if (spec_.format != OutputFormat::xy) intensity_.reserve(frames_ * bins_);
}

std::filesystem::path ResultWriter::xy_path(std::size_t index) const {
  if (frames_ == 1) return spec_.path;
  char number[32];
  std::snprintf(number, sizeof number, "_%04zu", index);
  return spec_.path.parent_path() / (spec_.path.stem().string() + number + spec_.path.extension().string());
}

void ResultWriter::add(std::size_t index, const std::string& source, reference::IntegrationResult&& r) {
  if (r.intensity.size() != bins_)
    throw std::logic_error("result of " + std::to_string(r.intensity.size()) + " bins, expected " +
                           std::to_string(bins_));
  if (spec_.format == OutputFormat::xy) {
    const auto intensity = widen(r.intensity);
    const auto sigma = spec_.has_errors ? widen(r.sem) : std::vector<double>{};
    auto header = spec_.header;
    header.insert(header.begin(), {"Source", source});
    const auto path = xy_path(index);
    io::write_xy(path, {spec_.radial_unit, spec_.radial, intensity, sigma}, header);
    written_.push_back(path);
    return;
  }
  append(intensity_, r.intensity);
  if (spec_.format == OutputFormat::npy) return;
  append(std_, r.std);
  append(sem_, r.sem);
  append(count_, r.count);
  append(sum_signal_, r.sum_signal);
  append(sum_variance_, r.sum_variance);
  append(sum_normalization_, r.sum_normalization);
  append(sum_normalization_squared_, r.sum_normalization_squared);
  // Pixel counts stay exact in float32 up to 2^24 entries per bin, far beyond any detector's bin.
  for (const auto p : r.pixels) pixels_.push_back(static_cast<float>(p));
}

std::vector<std::filesystem::path> ResultWriter::finish() {
  const std::size_t frames = spec_.format == OutputFormat::xy ? written_.size() : intensity_.size() / bins_;
  std::vector<std::size_t> shape{frames};
  if (!spec_.azimuthal.empty()) shape.push_back(spec_.azimuthal.size());
  shape.push_back(spec_.radial.size());
  if (spec_.format == OutputFormat::npy) {
    io::write_npy<float>(spec_.path, shape, intensity_);
    written_.push_back(spec_.path);
  } else if (spec_.format == OutputFormat::h5) {
    io::H5Results results;
    results.attributes["program"] = spec_.program;
    results.attributes["vulkanite_version"] = std::string(kVersion) + " (" + kGitCommit + ")";
    results.attributes["frames"] = static_cast<double>(frames);
    results.attributes["radial_unit"] = spec_.radial_unit;
    for (const auto& [key, value] : spec_.header) results.attributes[key] = value;
    const std::string group = "/entry/result/";
    const auto add = [&](const std::string& name, std::vector<float>&& values) {
      results.arrays.push_back({group + name, shape, std::move(values), {}});
    };
    std::vector<float> radial(spec_.radial.begin(), spec_.radial.end());
    results.arrays.push_back({group + "radial", {radial.size()}, std::move(radial), {{"units", spec_.radial_unit}}});
    if (!spec_.azimuthal.empty()) {
      std::vector<float> azimuthal(spec_.azimuthal.begin(), spec_.azimuthal.end());
      results.arrays.push_back(
          {group + "azimuthal", {azimuthal.size()}, std::move(azimuthal), {{"units", std::string("chi_deg")}}});
    }
    add("intensity", std::move(intensity_));
    add("std", std::move(std_));
    add("sem", std::move(sem_));
    add("count", std::move(count_));
    add("sum_signal", std::move(sum_signal_));
    add("sum_variance", std::move(sum_variance_));
    add("sum_normalization", std::move(sum_normalization_));
    add("sum_normalization_squared", std::move(sum_normalization_squared_));
    add(spec_.sigma_clip ? "pixels_kept" : "pixels", std::move(pixels_));
    io::write_h5_results(spec_.path, results);
    written_.push_back(spec_.path);
  }
  return written_;
}

}  // namespace vulkanite::apps
