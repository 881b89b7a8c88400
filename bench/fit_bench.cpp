// Batched Levenberg-Marquardt fitting (algorithms::Fitter), end to end (upload, fit, download):
//   - ODMR: 8 Lorentzian dips + linear background (26 parameters) over 100 frequencies, the
//     widefield-magnetometry job (1.4 million pixels on a GPU; a published Gpufit figure for it is
//     20 s);
//   - 2D Gaussian spots (5 parameters) on 5 x 5 and 15 x 15 pixels, the localization job;
//   each in the exact mode (bit-identical to the reference) and the fast mode (gpu_end_to_end_fast);
//   - the float reference (reference::fit, one CPU thread) as the CPU baseline.
// Data: each model evaluated in double at parameters varied by a few percent per fit, with 1 %
// Gaussian noise, from fixed seeds. Initial values: 5 % off; for ODMR algorithms::guess_odmr's,
// as the fit command makes them (5 % of a dip's position is up to 3 line widths: from there 60 %
// of the fits never converge, even in double with 2000 iterations). Gpufit's defaults: at most 25
// iterations, tolerance 1e-4 (reported with each result).
#include "algorithms/fit.hpp"
#include "algorithms/fit_guess.hpp"
#include "bench/gpu_bench.hpp"
#include "reference/fit.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace vulkanite::bench {
namespace {

using reference::FitModel;

struct Job {
  std::string name;
  reference::FitSettings<float> settings;
  std::size_t points = 0, gpu_fits = 0, llvmpipe_fits = 0;
  std::vector<float> truth, x;
};

std::vector<Job> jobs() {
  // Gpufit's defaults, stated here: the figures depend on them.
  const auto settings = [](FitModel model, std::uint32_t dips = 1) {
    return reference::FitSettings<float>{.model = model, .dips = dips, .max_iterations = 25, .tolerance = 1e-4f};
  };
  Job odmr{"odmr8_100pts", settings(FitModel::odmr, 8), 100, 1'400'000, 200, {1.0f, 0.02f}, {}};
  for (int k = 0; k < 8; ++k) {
    odmr.truth.insert(odmr.truth.end(), {0.08f + 0.01f * static_cast<float>(k % 3), 0.08f + 0.105f * static_cast<float>(k), 0.012f});
  }
  odmr.settings.lower.assign(26, -INFINITY);
  for (int k = 0; k < 8; ++k) odmr.settings.lower[std::size_t(4 + 3 * k)] = 1e-4f;
  for (std::size_t k = 0; k < odmr.points; ++k) odmr.x.push_back(static_cast<float>(k) / 100.0f);
  Job small{"gauss2d_5x5", settings(FitModel::gauss2d), 25, 10'000'000, 2000, {500, 2.1f, 1.9f, 1.0f, 20}, {}};
  Job large{"gauss2d_15x15", settings(FitModel::gauss2d), 225, 10'000'000, 500, {500, 7.1f, 6.9f, 1.8f, 20}, {}};
  return {odmr, small, large};
}

struct Problem {
  std::vector<float> data, initial;
  std::size_t fits = 0;
};

// `fits` fits made of `variants` distinct ones repeated (generating 10^7 in double would cost
// more than the fit).
Problem make_problem(const Job& job, std::size_t fits) {
  const std::size_t variants = std::min<std::size_t>(fits, 4096);
  const auto np = static_cast<std::uint32_t>(job.truth.size());
  const std::uint32_t dims = reference::model_dimensions(job.settings.model);
  const auto side = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(job.points))));
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<float> data, initial;
  reference::ParameterArray<double> p{}, d{};
  for (std::size_t n = 0; n < variants; ++n) {
    for (std::uint32_t j = 0; j < np; ++j) p[j] = job.truth[j] * (1.0 + 0.02 * uniform(rng));
    for (std::size_t k = 0; k < job.points; ++k) {
      const double x = job.x.empty() ? static_cast<double>(dims == 1 ? k : k % side) : job.x[k];
      const double y = dims == 2 ? static_cast<double>(k / side) : 0.0;
      const double f = reference::evaluate_model(job.settings.model, np, p, x, y, d);
      data.push_back(static_cast<float>(f + 0.01 * std::fabs(f) * normal(rng)));
    }
    const auto first = initial.size();
    for (std::uint32_t j = 0; j < np; ++j) initial.push_back(static_cast<float>(p[j] * (1.0 + 0.05 * uniform(rng))));
    if (job.settings.model == FitModel::odmr) {
      const auto guess = algorithms::guess_odmr(job.x, std::span(data).last(job.points), job.settings.dips);
      std::copy(guess.begin(), guess.end(), initial.begin() + static_cast<std::ptrdiff_t>(first));
    }
  }
  Problem pr;
  pr.fits = fits;
  pr.data.resize(fits * job.points);
  pr.initial.resize(fits * np);
  for (std::size_t n = 0; n < fits; ++n) {
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>((n % variants) * job.points), job.points,
                pr.data.begin() + static_cast<std::ptrdiff_t>(n * job.points));
    std::copy_n(initial.begin() + static_cast<std::ptrdiff_t>((n % variants) * np), np,
                pr.initial.begin() + static_cast<std::ptrdiff_t>(n * np));
  }
  return pr;
}

void report(benchmark::State& state, const reference::FitSettings<float>& settings,
            const reference::FitResult<float>& r, std::size_t fits, double seconds, std::uint64_t reps) {
  std::size_t converged = 0, iterations = 0;
  for (std::size_t n = 0; n < r.states.size(); ++n) {
    converged += r.states[n] == reference::FitState::converged ? 1 : 0;
    iterations += r.iterations[n];
  }
  state.counters["fits"] = static_cast<double>(fits);
  state.counters["fits_per_s"] = static_cast<double>(fits * reps) / seconds;
  state.counters["converged_fraction"] = static_cast<double>(converged) / static_cast<double>(r.states.size());
  state.counters["mean_iterations"] = static_cast<double>(iterations) / static_cast<double>(r.states.size());
  state.counters["tolerance"] = static_cast<double>(settings.tolerance);
  state.counters["max_iterations"] = settings.max_iterations;
}

// VULKANITE_FIT_SHAPE=WxL (e.g. 32x16) overrides Fitter::shape's choice, to compare shapes.
algorithms::FitShape shape_from_environment() {
  const char* text = std::getenv("VULKANITE_FIT_SHAPE");
  algorithms::FitShape shape;
  if (text && std::sscanf(text, "%ux%u", &shape.workgroup_size, &shape.lanes_per_fit) != 2)
    throw std::invalid_argument(std::string("VULKANITE_FIT_SHAPE=") + text + ": expected WxL, e.g. 32x16");
  return shape;
}

// exact false: the fast mode (FitSettings::exact).
void gpu_end_to_end(benchmark::State& state, const Harness& harness, const Job& job, bool exact) {
  const std::size_t fits = harness.cpu_device() ? job.llvmpipe_fits : job.gpu_fits;
  const Problem pr = make_problem(job, fits);
  auto settings = job.settings;
  settings.exact = exact;
  algorithms::Fitter fitter(harness.context, settings, shape_from_environment());
  const algorithms::FitShape shape = fitter.shape(job.points);
  state.counters["workgroup_size"] = shape.workgroup_size;
  state.counters["lanes_per_fit"] = shape.lanes_per_fit;
  const std::span<const float> x = job.x;
  reference::FitResult<float> r = fitter.run({fits, job.points, pr.data, {}, x, pr.initial});  // warm-up: pipelines
  const auto kernel_ns = [&] {
    double ns = 0;
    for (const auto& t : fitter.profile().summary()) ns += t.total_ns;
    return ns;
  };
  const double kernel_before = kernel_ns();
  double seconds = 0;
  std::uint64_t reps = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    r = fitter.run({fits, job.points, pr.data, {}, x, pr.initial});
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    ++reps;
  }
  report(state, job.settings, r, fits, seconds, reps);
  // The fit kernels' GPU time per run (timestamps), beside the wall time that adds the transfers.
  state.counters["kernel_s"] = (kernel_ns() - kernel_before) / 1e9 / static_cast<double>(std::max<std::uint64_t>(1, reps));
}

void cpu_reference(benchmark::State& state, const Job& job) {
  const std::size_t fits = job.llvmpipe_fits;
  const Problem pr = make_problem(job, fits);
  const std::span<const float> x = job.x;
  reference::FitResult<float> r;
  double seconds = 0;
  std::uint64_t reps = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    r = reference::fit<float>({fits, job.points, pr.data, {}, x, pr.initial}, job.settings);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++reps;
  }
  report(state, job.settings, r, fits, seconds, reps);
}

}  // namespace

void register_benchmarks(const Harness& harness) {
  const auto& h = harness;
  static const auto all = jobs();
  for (const bool exact : {true, false})
    for (const auto& job : all)
      add(std::string(exact ? "gpu_end_to_end/" : "gpu_end_to_end_fast/") + job.name + "/wall", true,
          [&h, &job, exact](benchmark::State& s) { gpu_end_to_end(s, h, job, exact); });
  for (const auto& job : all)
    add("cpu_reference/" + job.name + "/wall", false, [&job](benchmark::State& s) { cpu_reference(s, job); });
}

}  // namespace vulkanite::bench
