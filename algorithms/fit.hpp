#pragma once
// Batched Levenberg–Marquardt fitting on the GPU (shaders/fit/fit.comp): the same results, bit
// for bit, as reference::fit<float>, on any Vulkan device and for any FitShape.
//
//   algorithms::Fitter fitter(context, {.model = reference::FitModel::gauss2d});
//   auto result = fitter.run({.fits = n, .points = 25, .data = data, .initial = initial});
#include "reference/fit.hpp"
#include "runtime/context.hpp"
#include "runtime/kernel.hpp"
#include "runtime/parallel_copy.hpp"
#include "runtime/profile.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vulkanite::algorithms {

struct FitPush {  // GLSL: FitPush in shaders/fit/fit.comp
  std::uint32_t fits;
  std::uint32_t points;
  std::uint32_t first_fit;
  std::uint32_t free_mask;
  std::uint32_t max_iterations;
  float tolerance;
  std::uint32_t coordinates;  // 0 none (index or grid), 1 shared by all fits, 2 one set per fit
  std::uint32_t side;         // of the default 2D grid
};
static_assert(sizeof(FitPush) == 32);

// How fits map onto the GPU; the results do not depend on it (every sum runs in point order).
struct FitShape {
  std::uint32_t workgroup_size = 0;  // W, a power of two; 0: chosen from P, M and the device
  std::uint32_t lanes_per_fit = 0;   // L, a power of two dividing W; 0: chosen from M
  // Fits per batch (run() overlaps one batch's transfers with another's fitting); 0: as many as
  // fit in 64 MiB per buffer. Never changes the results.
  std::uint32_t fits_per_batch = 0;
};

struct FitBatch;  // one batch of fits in flight (fit.cpp)

class Fitter {
 public:
  // Throws std::invalid_argument for an unknown model or a bad dip count. A model given as an
  // expression (settings.expression) is compiled here, or read from the shader cache beside the
  // context's pipeline cache (algorithms/fit_expression.hpp).
  Fitter(runtime::Context& context, reference::FitSettings<float> settings, FitShape shape = {});
  ~Fitter();
  Fitter(Fitter&&) noexcept;
  Fitter& operator=(Fitter&&) noexcept;

  // Checks the input (reference::check_input: the same errors as the reference), uploads it in
  // batches that respect the device's buffer and dispatch limits, fits and downloads. On
  // llvmpipe, throws when a fit ran long enough to hit its loop budget (loop_iterations).
  reference::FitResult<float> run(const reference::FitInput<float>& input);

  // The shape run() uses for M points.
  FitShape shape(std::size_t points) const;
  // Bytes of shared memory one workgroup of this shape needs.
  std::uint32_t shared_bytes(FitShape shape) const;
  std::uint32_t parameters() const noexcept { return parameters_; }
  // GPU time of every fit dispatch run() made so far (timestamps), under the kernel's name.
  const runtime::Profile& profile() const noexcept { return profile_; }

  // An upper estimate of the loop iterations one invocation runs for a fit of `points` points
  // that takes `iterations` steps (the factorization and solve, the evaluation rounds).
  std::uint64_t loop_iterations(FitShape shape, std::size_t points, std::uint32_t iterations) const;

 private:
  const runtime::Kernel& kernel(FitShape shape);
  std::string kernel_name() const;
  std::span<const std::uint32_t> spirv() const;  // built in, or the expression's
  // Throws std::invalid_argument on llvmpipe for fits past its loop budget (fit.cpp says why).
  void check_device_budget(FitShape shape, std::size_t points, std::span<const std::uint32_t> iterations) const;

  runtime::Context* context_;
  reference::FitSettings<float> settings_;
  FitShape requested_;
  std::uint32_t parameters_;
  std::vector<std::uint32_t> expression_spirv_;  // empty for built-in models
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::unique_ptr<runtime::Kernel>> kernels_;
  runtime::Profile profile_;
  // run()'s two batch slots, kept for the next run() of the same sizes: their host staging is
  // pinned memory, slow to allocate.
  std::vector<std::unique_ptr<FitBatch>> batches_;
  // run()'s threads: input checks, copies into staging and out of readback memory.
  std::unique_ptr<runtime::CopyPool> copier_ = std::make_unique<runtime::CopyPool>();
};

}  // namespace vulkanite::algorithms
