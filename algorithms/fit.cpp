#include "algorithms/fit.hpp"

#include "algorithms/fit_expression.hpp"
#include "runtime/buffer.hpp"
#include "runtime/parallel_copy.hpp"
#include "runtime/sequence.hpp"
#include "runtime/transfer.hpp"

#include <shaders/fit.spv.hpp>
#include <shaders/fit_fast.spv.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
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

Fitter::~Fitter() = default;
Fitter::Fitter(Fitter&&) noexcept = default;
Fitter& Fitter::operator=(Fitter&&) noexcept = default;

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
        compile_fit_expression(*settings_.expression, context.pipeline_cache_file().parent_path(), settings_.exact)
            .spirv;
}

std::string Fitter::kernel_name() const {
  const std::string model = settings_.expression ? "expression" : std::string(reference::model_name(settings_.model));
  return "fit_" + model + (settings_.exact ? "" : "_fast");
}

std::span<const std::uint32_t> Fitter::spirv() const {
  if (settings_.expression) return expression_spirv_;
  if (settings_.exact) return shaders::fit;
  return shaders::fit_fast;
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

// One batch of fits in flight: its inputs in host staging and on the device, its outputs on the
// device and in host readback memory, its submission.
struct FitBatch {
  FitBatch(runtime::Context& c, std::size_t fits, std::size_t m, std::size_t x_values, bool weighted, std::uint32_t p)
      : sizes{fits, m, x_values, weighted ? 1u : 0u},
        data(c, fits * m), weights(c, weighted ? fits * m : 1), coordinates(c, x_values), initial(c, fits * p),
        parameters(c, fits * p), errors(c, fits * p), info(c, fits * 3),
        data_in(c, 4 * std::max<std::size_t>(1, fits * m), runtime::MemoryKind::host),
        weights_in(c, weighted ? 4 * fits * m : 4, runtime::MemoryKind::host),
        coordinates_in(c, 4 * std::max<std::size_t>(1, x_values), runtime::MemoryKind::host),
        initial_in(c, 4 * fits * p, runtime::MemoryKind::host),
        out(c, 4 * fits * (2 * p + 3), runtime::MemoryKind::host),
        sequence(c) {}
  std::array<std::size_t, 4> sizes;  // what it was made for: fits, points, coordinates, weighted
  runtime::Array<float> data, weights, coordinates, initial, parameters, errors;
  runtime::Array<std::uint32_t> info;
  runtime::Buffer data_in, weights_in, coordinates_in, initial_in, out;  // host
  runtime::Sequence sequence;
  std::size_t first = 0, count = 0;
};

namespace {

// `values` into `staging` (host) by `copier`, and its upload to `array` into the sequence.
void stage(runtime::CopyPool& copier, runtime::Sequence& sequence, std::span<const float> values,
           const runtime::Buffer& staging, const runtime::Array<float>& array) {
  if (values.empty()) return;
  copier.copy_to_staging(staging.mapped().data(), values.data(), values.size_bytes());
  sequence.upload(staging, array, values.size_bytes());
}

}  // namespace

// Batches of fits go through two FitBatch slots: while the GPU fits one, the host fills the
// other's staging and its upload runs on the transfer queue (Sequence::upload), and the previous
// batch's results are copied out. One slot at a time would leave the GPU idle during every
// batch's transfers (a quarter of the time of 10^7 small fits).
reference::FitResult<float> Fitter::run(const reference::FitInput<float>& input) {
  const std::uint32_t p = parameters_, dims = reference::model_dimensions(settings_);
  const std::size_t n = input.fits, m = input.points;
  runtime::CopyPool& copier = *copier_;
  reference::check_input_layout(input, settings_, p, dims);
  // The values on every thread, about 1 MiB of data per part (1.4 x 10^8 values took 0.09 s on one).
  copier.for_each_part(n, std::max<std::size_t>(1, (std::size_t{1} << 18) / m), 1, [&](std::size_t first, std::size_t last) {
    reference::check_input_values(input, settings_, p, dims, first, last);
  });
  // Not zeroed (reference::FitValues): collect() writes every value, on the copy threads.
  reference::FitResult<float> result{reference::FitValues<float>(n * p), reference::FitValues<float>(n * p),
                                     reference::FitValues<reference::FitState>(n), reference::FitValues<float>(n),
                                     reference::FitValues<std::uint32_t>(n)};
  if (n == 0) return result;
  const FitShape s = shape(m);
  const runtime::Kernel& k = kernel(s);
  const std::uint32_t fits_per_group = s.workgroup_size / s.lanes_per_fit;

  // Fits per batch: each buffer within maxStorageBufferRange and 64 MiB (batches small enough to
  // overlap and to keep the pinned staging in the hundreds of MB, large enough to fill the GPU
  // and to make each batch's round trip through the host rare: on an H100, 16 MiB batches made
  // 10^7 5x5 fits take 0.31 s end to end, 64 MiB 0.18 s, with the same 0.10 s of kernels), the
  // indices n x M within 32 bits (check_input).
  const bool per_fit_x = reference::per_fit_coordinates(input, dims);
  const std::size_t bytes_per_fit = 4 * std::max<std::size_t>(m * (per_fit_x ? dims : 1), 3 * p);
  const std::size_t range = std::min<std::size_t>(context_->limits().maxStorageBufferRange, std::size_t{64} << 20);
  std::size_t batch = std::max<std::size_t>(1, std::min(n, range / bytes_per_fit));
  if (requested_.fits_per_batch != 0) batch = std::min<std::size_t>(batch, requested_.fits_per_batch);
  const std::size_t max_groups = context_->limits().maxComputeWorkGroupCount[0];
  const bool weighted = !input.weights.empty();
  const std::size_t x_values = per_fit_x ? batch * m * dims : input.x.size();

  runtime::Transfer transfer(*context_);
  runtime::Array<float> bounds = device_array<float>(*context_, 2 * p);
  std::vector<float> bound_values(2 * p);
  for (std::uint32_t j = 0; j < p; ++j) {
    bound_values[j] = settings_.lower.empty() ? -std::numeric_limits<float>::infinity() : settings_.lower[j];
    bound_values[p + j] = settings_.upper.empty() ? std::numeric_limits<float>::infinity() : settings_.upper[j];
  }
  upload(transfer, std::span<const float>(bound_values), bounds);
  auto& slots = batches_;
  const std::array<std::size_t, 4> sizes{batch, m, x_values, weighted ? 1u : 0u};
  const std::size_t slot_count = std::min<std::size_t>(2, (n + batch - 1) / batch);
  if (slots.size() != slot_count || slots.front()->sizes != sizes) {
    slots.clear();
    for (std::size_t i = 0; i < slot_count; ++i)
      slots.push_back(std::make_unique<FitBatch>(*context_, batch, m, x_values, weighted, p));
  }
  for (auto& slot : slots) {
    slot->count = 0;
    slot->sequence.profile().clear();
  }
  if (!input.x.empty() && !per_fit_x)
    for (auto& slot : slots) upload(transfer, input.x, slot->coordinates);

  const auto collect = [&](FitBatch& b) {
    b.sequence.wait();
    const auto* out = reinterpret_cast<const float*>(b.out.mapped().data());
    const std::size_t first = b.first, count = b.count;
    copier.copy(result.parameters.data() + first * p, out, 4 * count * p);
    copier.copy(result.standard_errors.data() + first * p, out + batch * p, 4 * count * p);
    const auto* info = reinterpret_cast<const std::uint32_t*>(out + 2 * batch * p);
    copier.for_each_part(count, std::size_t{1} << 16, 1024, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        result.states[first + i] = static_cast<reference::FitState>(info[3 * i]);
        result.iterations[first + i] = info[3 * i + 1];
        result.chi_square[first + i] = std::bit_cast<float>(info[3 * i + 2]);
      }
    });
    b.count = 0;
  };
  const auto submit = [&](FitBatch& b, std::size_t first, std::size_t count) {
    b.first = first;
    b.count = count;
    auto& seq = b.sequence;
    stage(copier, seq, input.data.subspan(first * m, count * m), b.data_in, b.data);
    if (weighted) stage(copier, seq, input.weights.subspan(first * m, count * m), b.weights_in, b.weights);
    if (per_fit_x) stage(copier, seq, input.x.subspan(first * m * dims, count * m * dims), b.coordinates_in, b.coordinates);
    stage(copier, seq, input.initial.subspan(first * p, count * p), b.initial_in, b.initial);
    const std::size_t groups = (count + fits_per_group - 1) / fits_per_group;
    for (std::size_t g = 0; g < groups; g += max_groups) {
      const auto dispatch_groups = static_cast<std::uint32_t>(std::min(max_groups, groups - g));
      const FitPush push{static_cast<std::uint32_t>(count), static_cast<std::uint32_t>(m),
                         static_cast<std::uint32_t>(g * fits_per_group), settings_.free_mask,
                         settings_.max_iterations, settings_.tolerance,
                         input.x.empty() ? 0u : (per_fit_x ? 2u : 1u),
                         static_cast<std::uint32_t>(std::llround(std::sqrt(static_cast<double>(m))))};
      seq.dispatch(k, {b.data, b.weights, b.coordinates, b.initial, bounds, b.parameters, b.errors, b.info}, push,
                   {dispatch_groups});
    }
    seq.barrier();
    seq.copy(b.parameters, b.out, 4 * count * p);
    seq.copy(b.errors, b.out, 4 * count * p, 0, 4 * batch * p);
    seq.copy(b.info, b.out, 4 * count * 3, 0, 8 * batch * p);
    seq.barrier();  // the copies' writes visible to the host
    seq.submit();
  };

  try {
    std::size_t next = 0;
    for (std::size_t first = 0; first < n; first += batch, next = (next + 1) % slots.size()) {
      FitBatch& b = *slots[next];
      if (b.count != 0) collect(b);
      submit(b, first, std::min(batch, n - first));
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      FitBatch& b = *slots[(next + i) % slots.size()];
      if (b.count != 0) collect(b);
    }
  } catch (...) {
    slots.clear();  // their destructors wait for what is in flight; the next run starts afresh
    throw;
  }
  for (auto& slot : slots) profile_.merge(slot->sequence.profile());
  check_device_budget(s, m, result.iterations);
  return result;
}

}  // namespace vulkanite::algorithms
