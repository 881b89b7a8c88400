#pragma once
// Where `vulkanite integrate` and `vulkanite sigma-clip` put their results, by the output's
// extension:
//   .xy          1D only; pyFAI's text format (radial, I, and sigma = sem when there is an error
//                model) with the geometry and processing in `# key: value` header lines. One
//                frame: the path itself; several: name_0000.xy, name_0001.xy, ... beside it,
//                numbered by the frame's position among all frames integrated (from 0).
//   .h5, .hdf5   every frame and every output: /entry/result/{intensity, std, sem, count,
//                sum_signal, sum_variance, sum_normalization, sum_normalization_squared, pixels
//                (pixels_kept for sigma clipping)} of shape [frames, bins] (1D) or
//                [frames, npt_azim, npt] (2D), the axes /entry/result/radial (attribute `units`)
//                and /entry/result/azimuthal (chi_deg, 2D), and the header as root attributes.
//   .npy         the intensity alone, float32 [frames, bins] or [frames, npt_azim, npt].
// 2D results are azimuth-major, as pyFAI's Integrate2dResult.intensity.
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "reference/integrate.hpp"

namespace vulkanite::apps {

enum class OutputFormat { xy, h5, npy };

// From the extension; throws std::invalid_argument naming the known ones.
OutputFormat output_format(const std::filesystem::path& path);

// What can be checked before any work: .xy for 2D results, a missing output directory.
// Throws std::invalid_argument naming the output.
void check_output(const std::filesystem::path& path, OutputFormat format, bool two_dimensional);

struct OutputSpec {
  std::filesystem::path path;
  OutputFormat format = OutputFormat::h5;
  std::string program;                  // "vulkanite integrate", "vulkanite sigma-clip"
  bool sigma_clip = false;
  bool has_errors = false;              // an error model other than none: sigma (sem) in .xy
  std::string radial_unit;              // pyFAI's name: "q_nm^-1"
  std::vector<double> radial;           // bin centres
  std::vector<double> azimuthal;        // degrees; empty for 1D
  std::vector<std::pair<std::string, std::string>> header;  // geometry and processing, in order
};

class ResultWriter {
 public:
  // `frames`: how many results add() will receive. Runs check_output.
  ResultWriter(OutputSpec spec, std::size_t frames);

  // Results arrive in frame order; .xy files are written at once, the others are kept.
  void add(std::size_t index, const std::string& source, reference::IntegrationResult&& result);
  // Writes .h5 / .npy; returns every file written.
  std::vector<std::filesystem::path> finish();

 private:
  std::filesystem::path xy_path(std::size_t index) const;

  OutputSpec spec_;
  std::size_t frames_;
  std::size_t bins_;
  std::vector<std::filesystem::path> written_;
  // Kept for .h5 (every plane) and .npy (intensity only), frame after frame.
  std::vector<float> intensity_, std_, sem_, count_, sum_signal_, sum_variance_, sum_normalization_,
      sum_normalization_squared_, pixels_;
};

}  // namespace vulkanite::apps
