#include "algorithms/fit.hpp"

#include "algorithms/fit_expression.hpp"
#include "runtime/buffer.hpp"
#include "runtime/sequence.hpp"
#include "runtime/transfer.hpp"

#include <shaders/fit.spv.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace vulkanite::algorithms {
namespace {

constexpr std::uint32_t kMaxWorkgroupSize = 256;

std::uint32_t next_power_of_two(std::size_t v) {
  std::uint32_t p = 1;
  while (p < v && p < (1u << 30)) p <<= 1;
  return p;
}

bool is_power_of_two(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// From this many parameters on, the step's linear algebra runs on all lanes of a fit
// (kParallelStep in shaders/fit/fit_step.glsl); below, on lane 0 alone.
constexpr std::uint32_t kParallelStepParameters = 8;
bool parallel_step(std::uint32_t parameters) { return parameters >= kParallelStepParameters; }

// A device buffer of at least one element (Vulkan has no empty buffers; unused bindings get one).
template <class T>
runtime::Array<T> device_array(runtime::Context& context, std::size_t count) {
  return runtime::Array<T>(context, std::max<std::size_t>(1, count));
}

// Uploads `values` to the start of `array`; nothing for an empty span.
template <class T>
void upload(runtime::Transfer& transfer, std::span<const T> values, const runtime::Array<T>& array) {
  if (!values.empty()) transfer.upload(std::as_bytes(values), array.buffer());
}

}  // namespace

Fitter::Fitter(runtime::Context& context, reference::FitSettings<float> settings, FitShape shape)
    : context_(&context),
      settings_(std::move(settings)),
      requested_(shape),
      parameters_(reference::parameter_count(settings_)) {
  if (shape.workgroup_size != 0 && (!is_power_of_two(shape.workgroup_size) || shape.workgroup_size > kMaxWorkgroupSize))
    throw std::invalid_argument("fit workgroup size " + std::to_string(shape.workgroup_size) +
                                " is not a power of two up to 256");
  if (shape.lanes_per_fit != 0 && !is_power_of_two(shape.lanes_per_fit))
    throw std::invalid_argument("fit lanes per fit " + std::to_string(shape.lanes_per_fit) + " is not a power of two");
  if (shape.workgroup_size != 0 && shape.lanes_per_fit > shape.workgroup_size)
    throw std::invalid_argument("fit lanes per fit " + std::to_string(shape.lanes_per_fit) +
                                " exceed the workgroup size " + std::to_string(shape.workgroup_size));
  // Beside the pipeline cache: the same directory, the same lifetime.
  if (settings_.expression)
    expression_spirv_ =
        compile_fit_expression(*settings_.expression, context.pipeline_cache_file().parent_path()).spirv;
}

std::string Fitter::kernel_name() const {
  return settings_.expression ? "fit_expression" : "fit_" + std::string(reference::model_name(settings_.model));
}

std::span<const std::uint32_t> Fitter::spirv() const {
  return settings_.expression ? std::span<const std::uint32_t>(expression_spirv_) : std::span(shaders::fit);
}

// Shared memory of shaders/fit/fit.comp: per fit a work area (its L point rows of 2P + 3 words,
// P + 3 for least squares, or its step's P x P matrix and two vectors), two sets of sums and of
// parameters, two flags; the entry table.
std::uint32_t Fitter::shared_bytes(FitShape s) const {
  const std::uint32_t p = parameters_, e = (p + 1) * (p + 2) / 2, l = s.lanes_per_fit;
  const std::uint32_t row = settings_.estimator == reference::Estimator::least_squares ? p + 3 : 2 * p + 3;
  const std::uint32_t work = std::max(l * row, p * p + 2 * p);
  const std::uint32_t words = (s.workgroup_size / l) * (work + 2 * e + 2 * p + 2) + e;
  return 4 * words;
}

// Lanes: enough to cover the points in few rounds, at most 32 (a sum over points per entry and
// round keeps each lane busy enough). Workgroup: 64 invocations unless shared memory is short;
// 32 where the step runs on all lanes (kParallelStepParameters): its barriers (about 2P a step)
// then hold one fit's lanes only, and a fit that converges frees its workgroup at once.
FitShape Fitter::shape(std::size_t points) const {
  FitShape s = requested_;
  if (s.lanes_per_fit == 0) s.lanes_per_fit = std::min<std::uint32_t>(32, next_power_of_two(points));
  if (s.workgroup_size == 0) {
    s.workgroup_size = std::max<std::uint32_t>(parallel_step(parameters_) ? 32 : 64, s.lanes_per_fit);
    while (s.workgroup_size > s.lanes_per_fit && shared_bytes(s) > context_->limits().maxComputeSharedMemorySize)
      s.workgroup_size /= 2;
  }
  if (s.lanes_per_fit > s.workgroup_size)
    throw std::invalid_argument("fit lanes per fit " + std::to_string(s.lanes_per_fit) + " exceed the workgroup size " +
                                std::to_string(s.workgroup_size));
  if (shared_bytes(s) > context_->limits().maxComputeSharedMemorySize)
    throw std::invalid_argument("a fit workgroup of " + std::to_string(s.workgroup_size) + " invocations and " +
                                std::to_string(parameters_) + " parameters needs " + std::to_string(shared_bytes(s)) +
                                " bytes of shared memory; the device has " +
                                std::to_string(context_->limits().maxComputeSharedMemorySize));
  return s;
}

// The invocation with the most loop iterations: one round of points is its point's row (the
// model's loops, about 3P) and its entries' sums over L rows; a step is lane 0's factorization
// and substitutions, serial or on ceil(P/L) rows. llvmpipe counts a loop as long as any lane of
// a SIMD group runs it, so the counts it reached (where it cut fits of P = 11..26 parameters on
// L = 8..32 lanes) were up to 1.25 times this model's: it is scaled by 4/3.
std::uint64_t Fitter::loop_iterations(FitShape s, std::size_t points, std::uint32_t iterations) const {
  const std::uint64_t p = parameters_, e = (p + 1) * (p + 2) / 2, l = s.lanes_per_fit;
  const std::uint64_t owned = (e + l - 1) / l, rows = (p + l - 1) / l, fits = s.workgroup_size / l;
  const std::uint64_t evaluation = ((points + l - 1) / l) * (owned * (l + 2) + 3 * p + 2) + p + 64;
  const std::uint64_t step = parallel_step(parameters_) ? (rows + 1) * p * p / 2 + 2 * p * rows + 8 * p + owned + fits
                                                        : p * p * p / 6 + 2 * p * p + 5 * p + e + fits;
  return (std::uint64_t{iterations} + 2) * (step + evaluation) * 4 / 3 + (e / s.workgroup_size + 1) * (p + 1);
}

// Mesa's llvmpipe stops every loop of a shader after 65535 iterations in all (DeviceInfo::
// loop_budget), and every loop after that runs once: the fit then ends early with wrong values
// and no error. A fit whose
// reported iterations imply more loop iterations than that may have been cut, so its batch is
// refused rather than returned, until the kernel splits long fits over several dispatches.
void Fitter::check_device_budget(FitShape s, std::size_t points, std::span<const std::uint32_t> iterations) const {
  constexpr std::uint64_t kMargin = 5535;  // the estimate is close, not exact: 60000 on llvmpipe
  const std::uint64_t budget = context_->info().loop_budget;
  if (budget == 0) return;
  for (const std::uint32_t done : iterations) {
    const std::uint64_t needed = loop_iterations(s, points, done);
    if (needed > budget - kMargin)
      throw std::invalid_argument(
          "a fit of " + std::to_string(parameters_) + " parameters and " + std::to_string(points) + " points took " +
          std::to_string(done) + " iterations, about " + std::to_string(needed) +
          " loop iterations in one GPU invocation, and llvmpipe stops loops after 65535 (Mesa's "
          "LP_MAX_TGSI_LOOP_ITERATIONS), so its results cannot be trusted: use a GPU, fewer iterations or fewer "
          "parameters");
  }
}

const runtime::Kernel& Fitter::kernel(FitShape s) {
  auto& slot = kernels_[{s.workgroup_size, s.lanes_per_fit}];
  if (!slot)
    slot = std::make_unique<runtime::Kernel>(
        *context_, runtime::KernelDesc{kernel_name(), spirv(), 8,
                                       sizeof(FitPush), s.workgroup_size,
                                       {static_cast<std::uint32_t>(settings_.model), parameters_, s.lanes_per_fit,
                                        static_cast<std::uint32_t>(settings_.estimator)}});
  return *slot;
}

reference::FitResult<float> Fitter::run(const reference::FitInput<float>& input) {
  const std::uint32_t p = parameters_, dims = reference::model_dimensions(settings_);
  reference::check_input(input, settings_, p, dims);
  const std::size_t n = input.fits, m = input.points;
  reference::FitResult<float> result{std::vector<float>(n * p), std::vector<float>(n * p),
                                     std::vector<reference::FitState>(n), std::vector<float>(n),
                                     std::vector<std::uint32_t>(n)};
  if (n == 0) return result;
  const FitShape s = shape(m);
  const runtime::Kernel& k = kernel(s);
  const std::uint32_t fits_per_group = s.workgroup_size / s.lanes_per_fit;

  // Fits per batch: each buffer within maxStorageBufferRange (and 256 MiB, to bound memory), and
  // the indices n x M within 32 bits (checked by check_input for the whole input).
  const bool per_fit_x = !input.x.empty() && input.x.size() == n * m * dims;
  const std::size_t bytes_per_fit = 4 * std::max<std::size_t>(m * (per_fit_x ? dims : 1), 3 * p);
  const std::size_t range = std::min<std::size_t>(context_->limits().maxStorageBufferRange, std::size_t{256} << 20);
  const std::size_t batch = std::max<std::size_t>(1, std::min(n, range / bytes_per_fit));
  const std::size_t max_groups = context_->limits().maxComputeWorkGroupCount[0];

  const bool weighted = !input.weights.empty();
  runtime::Array<float> data = device_array<float>(*context_, batch * m);
  runtime::Array<float> weights = device_array<float>(*context_, weighted ? batch * m : 1);
  runtime::Array<float> coordinates = device_array<float>(*context_, per_fit_x ? batch * m * dims : input.x.size());
  runtime::Array<float> initial = device_array<float>(*context_, batch * p);
  runtime::Array<float> bounds = device_array<float>(*context_, 2 * p);
  runtime::Array<float> parameters = device_array<float>(*context_, batch * p);
  runtime::Array<float> errors = device_array<float>(*context_, batch * p);
  runtime::Array<std::uint32_t> info = device_array<std::uint32_t>(*context_, batch * 3);

  runtime::Transfer transfer(*context_);
  std::vector<float> bound_values(2 * p);
  for (std::uint32_t j = 0; j < p; ++j) {
    bound_values[j] = settings_.lower.empty() ? -std::numeric_limits<float>::infinity() : settings_.lower[j];
    bound_values[p + j] = settings_.upper.empty() ? std::numeric_limits<float>::infinity() : settings_.upper[j];
  }
  upload(transfer, std::span<const float>(bound_values), bounds);
  if (!input.x.empty() && !per_fit_x) upload(transfer, input.x, coordinates);

  std::vector<std::uint32_t> info_host;
  for (std::size_t first = 0; first < n; first += batch) {
    const std::size_t count = std::min(batch, n - first);
    upload(transfer, input.data.subspan(first * m, count * m), data);
    if (weighted) upload(transfer, input.weights.subspan(first * m, count * m), weights);
    if (per_fit_x) upload(transfer, input.x.subspan(first * m * dims, count * m * dims), coordinates);
    upload(transfer, input.initial.subspan(first * p, count * p), initial);

    runtime::Sequence sequence(*context_);
    const std::size_t groups = (count + fits_per_group - 1) / fits_per_group;
    for (std::size_t g = 0; g < groups; g += max_groups) {
      const auto dispatch_groups = static_cast<std::uint32_t>(std::min(max_groups, groups - g));
      const FitPush push{static_cast<std::uint32_t>(count), static_cast<std::uint32_t>(m),
                         static_cast<std::uint32_t>(g * fits_per_group), settings_.free_mask,
                         settings_.max_iterations, settings_.tolerance,
                         input.x.empty() ? 0u : (per_fit_x ? 2u : 1u),
                         static_cast<std::uint32_t>(std::llround(std::sqrt(static_cast<double>(m))))};
      sequence.dispatch(k, {data, weights, coordinates, initial, bounds, parameters, errors, info}, push,
                        {dispatch_groups});
    }
    sequence.barrier();
    sequence.run();

    transfer.download(parameters.buffer(), 0, std::as_writable_bytes(std::span(result.parameters).subspan(first * p, count * p)));
    transfer.download(errors.buffer(), 0,
                      std::as_writable_bytes(std::span(result.standard_errors).subspan(first * p, count * p)));
    info_host.resize(3 * count);
    transfer.download(info.buffer(), 0, std::as_writable_bytes(std::span(info_host)));
    for (std::size_t i = 0; i < count; ++i) {
      result.states[first + i] = static_cast<reference::FitState>(info_host[3 * i]);
      result.iterations[first + i] = info_host[3 * i + 1];
      result.chi_square[first + i] = std::bit_cast<float>(info_host[3 * i + 2]);
    }
  }
  check_device_budget(s, m, result.iterations);
  return result;
}

}  // namespace vulkanite::algorithms
