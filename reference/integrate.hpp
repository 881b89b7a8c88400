#pragma once
// CPU twin of shaders/integrate/integrate.comp (azimuthal integration of one frame over a CSR
// pixel -> bin matrix; sigma clipping, reference/sigma_clip.hpp, shares its machinery in
// reference/bin_statistics.cpp and shaders/common/bin_statistics.glsl), bit-identical to the GPU: the same per-lane order, the same
// combining tree, correctly rounded division and square root, explicit ftz.
//
// pyFAI's definitions (pyFAI 2026.9, CsrIntegrator.integrate_ng / sigma_clip and the OpenCL
// csr_integrate4 / csr_sigma_clip4), per pixel p of a bin with splitting coefficient c:
//   signal s = raw - dark, variance v (per error model), normalization n, count 1;
//   sum_signal = sum c s, sum_variance = sum c^2 v, sum_normalization = sum c n,
//   sum_normalization_squared = sum (c n)^2, count = sum c;
//   intensity = sum_signal / sum_normalization,
//   std = sqrt(sum_variance / sum_normalization_squared), sem = sqrt(sum_variance) / sum_normalization.
// With the azimuthal error model, sum_variance = sum (c n)^2 (s / n - intensity)^2, which we
// compute in two passes as sum (c (s - intensity n))^2: no division per pixel, and the same value
// as pyFAI's one-pass update up to rounding (docs/integration.md).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace vulkanite::reference {

// A CSR matrix with one row per output bin; columns are flat pixel indices.
struct CsrView {
  std::span<const std::uint32_t> row_start;  // bins + 1
  std::span<const std::uint32_t> pixel;
  std::span<const float> coefficient;  // empty: every coefficient is 1 (no pixel splitting)
};

enum class ErrorModel : std::uint32_t { none = 0, variance = 1, poisson = 2, azimuthal = 3 };  // pyFAI's order

// What stays the same from frame to frame, one value per pixel (empty vectors: not used).
struct PixelCorrections {
  // normalization_factor x flat x solid angle x polarization x absorption, computed in double
  // and rounded once; 0 (or NaN) leaves the pixel out, like a masked one.
  std::vector<float> normalization;
  std::vector<float> dark;      // subtracted from the raw signal
  std::vector<float> variance;  // the user's variance array, for ErrorModel::variance
};

struct IntegrationParams {
  ErrorModel error_model = ErrorModel::none;
  std::optional<float> dummy;  // raw values equal to it (within delta_dummy) are left out
  float delta_dummy = 0.0f;
  float empty = 0.0f;          // intensity, std and sem of a bin without pixels (pyFAI's default)
  std::uint32_t lanes = 0;     // invocations per bin; 0: integration_lanes(matrix). Fixes the bits.
};

// One value per bin, in the matrix's bin order.
struct IntegrationResult {
  std::vector<float> sum_signal, sum_variance, sum_normalization, sum_normalization_squared, count;
  std::vector<float> intensity, std, sem;
  std::vector<std::uint32_t> pixels;  // matrix entries that contributed (after clipping, if any)
};

// Entries a lane sums plainly before folding them into its compensated sums (the GLSL twin's
// kBatch in shaders/common/bin_statistics.glsl); like the lanes, it fixes the bits.
constexpr std::uint32_t kBinBatch = 4;

// Invocations per bin for this matrix: 32 for small bins (2D), up to 256 for large ones (1D).
std::uint32_t integration_lanes(CsrView matrix);

// Throws std::invalid_argument for parameters no kernel accepts (lanes not a power of two <= 1024).
void check_params(const IntegrationParams& params);

// pyFAI's preprocessing of pixel i: signal = raw - dark, its variance per the error model (0 for
// none and azimuthal), the normalization; not valid when the raw value is not finite or is the
// dummy, or the normalization is 0 or not finite. The kernels' twin: pixel_value in
// shaders/common/bin_statistics.glsl.
struct PreprocessedPixel {
  float signal = 0, variance = 0, normalization = 0;
  bool valid = false;
};
PreprocessedPixel preprocess_pixel(std::span<const float> frame, const PixelCorrections& corrections,
                                   const IntegrationParams& params, std::size_t i);

// `frame`: the raw pixel values converted to float (as the kernel converts them).
IntegrationResult integrate(CsrView matrix, std::span<const float> frame, const PixelCorrections& corrections,
                            const IntegrationParams& params);

}  // namespace vulkanite::reference
