// algorithms::Fitter on the GPU against reference::fit<float>, bit for bit: every model, every
// estimator, masked parameters, active bounds, fits that stop at max_iterations, singular,
// invalid and negative-curvature fits, several workgroup shapes; and its input errors.
#include "algorithms/fit.hpp"

#include "fit_compare.hpp"
#include "fit_problems.hpp"
#include "reference/fit.hpp"
#include "support/gpu_test.hpp"
#include "support/invalid_argument.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <functional>
#include <map>
#include <string>

namespace vulkanite {
namespace {

using reference::Estimator;
using reference::FitModel;
using reference::FitState;

std::map<FitState, int> count_states(const reference::FitResult<float>& result) {
  std::map<FitState, int> counts;
  for (const auto s : result.states) counts[s] += 1;
  return counts;
}

class FitTest : public tests::GpuTest {
 protected:
  int refused = 0;
  // GPU against reference, bit for bit; returns the reference's result. On llvmpipe a fit long
  // enough to hit its loop budget (65535 per invocation) must be refused with that reason, never
  // returned: `refused` counts those.
  reference::FitResult<float> check(const tests::FitProblem& pr, algorithms::FitShape shape = {}) {
    algorithms::Fitter fitter(context(), pr.settings, shape);
    const auto cpu = reference::fit(pr.input(), pr.settings);
    const bool llvmpipe = context().info().loop_budget != 0;  // llvmpipe
    bool over_budget = false;  // what the reference's iterations imply
    for (const auto done : cpu.iterations)
      over_budget = over_budget || fitter.loop_iterations(fitter.shape(pr.points), pr.points, done) > 60000;
    try {
      const auto gpu = fitter.run(pr.input());
      EXPECT_FALSE(llvmpipe && over_budget) << "a fit past llvmpipe's loop budget was returned";
      tests::expect_identical(gpu, cpu, fitter.parameters());
    } catch (const std::invalid_argument& e) {
      if (!llvmpipe || std::string(e.what()).find("llvmpipe stops loops after 65535") == std::string::npos) throw;
      refused += 1;
    }
    return cpu;
  }
};

TEST_F(FitTest, EveryModelBitIdenticalToTheReference) {
  for (std::uint32_t m = 0; m < reference::kFitModelCount; ++m) {
    const auto model = static_cast<FitModel>(m);
    SCOPED_TRACE(std::string(reference::model_name(model)));
    auto pr = tests::model_problem(model);
    tests::fill(pr, 5, tests::Noise::gaussian, 10 + m);
    const auto result = check(pr);
    EXPECT_GE(count_states(result)[FitState::converged], 4);
  }
}

TEST_F(FitTest, EightDipOdmrBitIdenticalToTheReference) {
  // 26 parameters, 100 points: the widefield-magnetometry job (the largest built-in model).
  tests::FitProblem pr = tests::model_problem(FitModel::odmr);
  pr.settings.dips = 8;
  pr.truth = {1.0f, 0.02f};
  pr.settings.lower.assign(26, -INFINITY);
  for (int k = 0; k < 8; ++k) {
    pr.truth.insert(pr.truth.end(), {0.08f + 0.01f * static_cast<float>(k % 3), 0.08f + 0.105f * static_cast<float>(k), 0.012f});
    pr.settings.lower[static_cast<std::size_t>(4 + 3 * k)] = 1e-4f;
  }
  tests::fill(pr, 24, tests::Noise::gaussian, 11, 0.02f);
  const auto result = check(pr);
  EXPECT_GT(count_states(result)[FitState::converged], 12);
}

// ODMR with every dip count 1..8 (P = 5 .. 26, 100 points, 25 iterations at most) and several
// workgroup shapes: the long-running kernels (lane 0's Cholesky is ~P^3/6 loop iterations per
// step) that the default-size models never reach. On llvmpipe these exceeded its per-invocation
// budget of 65535 loop iterations (shared by every loop of the shader) from P = 20 on, and every
// loop after that ran once: parameters 1.. and all standard errors were never written.
TEST_F(FitTest, OdmrEveryDipCountAndShapeBitIdentical) {
  for (std::uint32_t dips = 1; dips <= reference::kMaxOdmrDips; ++dips) {
    SCOPED_TRACE(std::to_string(dips) + " dips");
    tests::FitProblem pr = tests::model_problem(FitModel::odmr);
    pr.settings.dips = dips;
    pr.truth = {1.0f, 0.02f};
    const std::size_t np = 2 + 3 * dips;
    pr.settings.lower.assign(np, -INFINITY);
    for (std::uint32_t k = 0; k < dips; ++k) {
      pr.truth.insert(pr.truth.end(), {0.08f + 0.01f * static_cast<float>(k % 3), 0.08f + 0.105f * static_cast<float>(k), 0.012f});
      pr.settings.lower[4 + 3 * k] = 1e-4f;
    }
    tests::fill(pr, 5, tests::Noise::gaussian, 40 + dips, 0.02f);
    for (const auto shape : {algorithms::FitShape{}, algorithms::FitShape{32, 32}, algorithms::FitShape{64, 64},
                             algorithms::FitShape{16, 16}, algorithms::FitShape{64, 8}}) {
      SCOPED_TRACE(std::to_string(shape.workgroup_size) + " x " + std::to_string(shape.lanes_per_fit));
      const algorithms::Fitter fitter(context(), pr.settings, shape);
      if (shape.workgroup_size != 0 && fitter.shared_bytes(shape) > context().limits().maxComputeSharedMemorySize)
        continue;  // llvmpipe has 32 KiB of shared memory
      check(pr, shape);
      if (::testing::Test::HasFailure()) return;  // one failing case is enough to read
    }
  }
}

TEST_F(FitTest, WeightedLeastSquaresBitIdentical) {
  auto pr = tests::model_problem(FitModel::gauss2d_elliptic);
  pr.settings.estimator = Estimator::weighted_least_squares;
  tests::fill(pr, 6, tests::Noise::gaussian, 21);
  EXPECT_GE(count_states(check(pr))[FitState::converged], 5);
}

TEST_F(FitTest, PoissonMleBitIdentical) {
  for (const auto model : {FitModel::gauss2d, FitModel::exponential_decay}) {
    auto pr = tests::model_problem(model);
    pr.settings.estimator = Estimator::poisson_mle;
    tests::fill(pr, 6, tests::Noise::poisson, 22);
    EXPECT_GE(count_states(check(pr))[FitState::converged], 5) << reference::model_name(model);
  }
}

TEST_F(FitTest, MaskedParametersStayFixed) {
  auto pr = tests::model_problem(FitModel::gauss2d);
  pr.settings.free_mask = 0b00111;  // sigma and background fixed
  tests::fill(pr, 5, tests::Noise::gaussian, 23);
  const auto result = check(pr);
  for (std::size_t n = 0; n < pr.fits; ++n) {
    EXPECT_EQ(result.parameters[n * 5 + 3], pr.initial[n * 5 + 3]);
    EXPECT_EQ(result.parameters[n * 5 + 4], pr.initial[n * 5 + 4]);
    EXPECT_EQ(result.standard_errors[n * 5 + 4], 0.0f);
  }
  pr.settings.free_mask = 0;  // nothing to fit: chi^2 at the initial values, converged at once
  const auto none = check(pr);
  EXPECT_EQ(count_states(none)[FitState::converged], 5);
}

TEST_F(FitTest, ActiveBoundsClampTheParameters) {
  auto pr = tests::model_problem(FitModel::gauss1d);
  tests::fill(pr, 5, tests::Noise::none, 24);
  pr.settings.lower = {0, 0, 0.5f, -100};
  pr.settings.upper = {1000, 100, 2.95f, 100};  // the true sigma is 3
  for (std::size_t n = 0; n < pr.fits; ++n) pr.initial[n * 4 + 2] = 2.5f;
  const auto result = check(pr);
  for (std::size_t n = 0; n < pr.fits; ++n) EXPECT_EQ(result.parameters[n * 4 + 2], 2.95f);
}

TEST_F(FitTest, StoppedSingularInvalidAndNegativeCurvatureFitsBitIdentical) {
  auto pr = tests::model_problem(FitModel::gauss2d_rotated);
  pr.settings.max_iterations = 2;
  tests::fill(pr, 3, tests::Noise::gaussian, 25, 0.2f);
  EXPECT_EQ(count_states(check(pr))[FitState::max_iterations], 3);

  pr = tests::model_problem(FitModel::linear1d);
  pr.x.assign(pr.points, 3.0f);  // offset and slope indistinguishable
  tests::fill(pr, 2, tests::Noise::gaussian, 26);
  EXPECT_EQ(count_states(check(pr))[FitState::singular_hessian], 2);

  pr = tests::model_problem(FitModel::gauss1d);
  tests::fill(pr, 3, tests::Noise::gaussian, 27);
  pr.settings.upper = {1000, 100, 100, 100};
  pr.initial[1 * 4 + 2] = 200;  // fit 1 starts outside its bounds
  const auto counts = count_states(check(pr));
  EXPECT_EQ(counts.at(FitState::invalid_input), 1);

  pr = tests::model_problem(FitModel::gauss2d);
  pr.settings.estimator = Estimator::poisson_mle;
  tests::fill(pr, 3, tests::Noise::poisson, 28);
  pr.initial[2 * 5 + 4] = -50;  // fit 2: a model below zero
  EXPECT_EQ(count_states(check(pr))[FitState::negative_curvature], 1);
}

TEST_F(FitTest, ResultsDoNotDependOnTheWorkgroupShape) {
  auto pr = tests::model_problem(FitModel::odmr);
  tests::fill(pr, 7, tests::Noise::gaussian, 29);
  for (const auto shape : {algorithms::FitShape{64, 4}, algorithms::FitShape{32, 32}, algorithms::FitShape{128, 64},
                           algorithms::FitShape{16, 16}}) {
    SCOPED_TRACE(std::to_string(shape.workgroup_size) + " x " + std::to_string(shape.lanes_per_fit));
    check(pr, shape);
  }
}

TEST_F(FitTest, ManyTinyFitsBitIdentical) {
  auto pr = tests::model_problem(FitModel::gauss2d);
  tests::fill(pr, 1000, tests::Noise::gaussian, 30);
  const auto result = check(pr);
  EXPECT_GE(count_states(result)[FitState::converged], 990);
  // In batches of 300 (the last one short) through the two slots run() alternates: every result
  // lands at its own fit, with per-fit coordinates uploaded per batch.
  check(pr, algorithms::FitShape{.fits_per_batch = 300});
  std::vector<float> grid;
  for (std::size_t n = 0; n < pr.fits; ++n)
    for (std::size_t k = 0; k < pr.points; ++k) grid.insert(grid.end(), {float(k % 5), float(k / 5)});
  pr.x = grid;
  check(pr, algorithms::FitShape{.fits_per_batch = 300});
}

// The fast mode (FitSettings::exact false) is not bit-identical, so it is held to what a user
// needs: the same outcome as the exact reference, parameters within a fraction of their standard
// errors (a stop one step earlier or later, at the 1e-4 tolerance on chi^2, moves a parameter by
// up to ~0.06 sigma for these point counts) and chi^2 within 1e-3.
TEST_F(FitTest, FastModeAgreesWithTheReferenceWithinAQuarterOfItsErrors) {
  std::vector<tests::FitProblem> problems;
  for (std::uint32_t m = 0; m < reference::kFitModelCount; ++m) problems.push_back(tests::model_problem(static_cast<FitModel>(m)));
  problems.push_back(tests::model_problem(FitModel::gauss2d));
  problems.back().settings.estimator = Estimator::poisson_mle;
  problems.push_back(tests::model_problem(FitModel::gauss1d));
  problems.back().settings.expression = reference::FitExpression("p[0]*exp(-0.5*((x-p[1])/p[2])^2) + sqrt(p[3]*p[3])");
  std::uint32_t seed = 60;
  std::size_t differing_bits = 0;  // the fast shader ran, not the exact one
  for (auto& pr : problems) {
    const std::string name = pr.settings.expression ? "expression" : std::string(reference::model_name(pr.settings.model));
    SCOPED_TRACE(name + (pr.settings.estimator == Estimator::poisson_mle ? " (Poisson MLE)" : ""));
    const bool mle = pr.settings.estimator == Estimator::poisson_mle;
    tests::fill(pr, 20, mle ? tests::Noise::poisson : tests::Noise::gaussian, seed++);
    const auto cpu = reference::fit(pr.input(), pr.settings);
    pr.settings.exact = false;
    algorithms::Fitter fitter(context(), pr.settings);
    const auto gpu = fitter.run(pr.input());
    const std::size_t np = fitter.parameters();
    int compared = 0;
    for (std::size_t n = 0; n < pr.fits; ++n) {
      if (cpu.states[n] != FitState::converged) continue;
      SCOPED_TRACE("fit " + std::to_string(n));
      ASSERT_EQ(reference::state_name(gpu.states[n]), "converged");
      EXPECT_NEAR(gpu.chi_square[n], cpu.chi_square[n], 1e-3 * cpu.chi_square[n]);
      for (std::size_t j = 0; j < np; ++j) {
        const float sigma = cpu.standard_errors[n * np + j];
        EXPECT_NEAR(gpu.parameters[n * np + j], cpu.parameters[n * np + j], 0.25f * sigma) << "parameter " << j;
        EXPECT_NEAR(gpu.standard_errors[n * np + j], sigma, 0.02f * sigma) << "error " << j;
      }
      compared += 1;
    }
    EXPECT_GE(compared, 15);  // the comparison covered most fits
    for (std::size_t i = 0; i < cpu.parameters.size(); ++i)
      differing_bits += std::bit_cast<std::uint32_t>(cpu.parameters[i]) != std::bit_cast<std::uint32_t>(gpu.parameters[i]);
  }
  EXPECT_GT(differing_bits, 0u);
}

TEST_F(FitTest, BadInputThrowsTheReferenceErrors) {
  const auto message = [](const std::function<void()>& f) { return tests::invalid_argument_message(f); };
  EXPECT_EQ(message([&] { algorithms::Fitter(context(), {.model = static_cast<FitModel>(9)}); }),
            "unknown fit model 9");
  EXPECT_EQ(message([&] { algorithms::Fitter(context(), {.model = FitModel::odmr, .dips = 0}); }),
            "the odmr model takes 1 to 8 dips, not 0");
  EXPECT_EQ(message([&] { algorithms::Fitter(context(), {}, {.workgroup_size = 48}); }),
            "fit workgroup size 48 is not a power of two up to 256");
  auto pr = tests::model_problem(FitModel::gauss2d);
  tests::fill(pr, 2, tests::Noise::none, 31);
  pr.data[7] = NAN;
  algorithms::Fitter fitter(context(), pr.settings);
  EXPECT_EQ(message([&] { fitter.run(pr.input()); }), "fit data value 7 (fit 0) is not finite");
  pr.data[7] = 1;
  pr.settings.lower = {0, 0, 0, 2, 0};
  pr.settings.upper = {1, 1, 1, 1, 1};
  EXPECT_EQ(message([&] { algorithms::Fitter(context(), pr.settings).run(pr.input()); }),
            "parameter 3 has lower bound 2.000000 > upper bound 1.000000");
}

// Large inputs are checked in parts on several threads (CopyPool::for_each_part): the error
// still names the first bad value, whichever part holds it.
TEST_F(FitTest, ALargeInputsFirstBadValueIsNamed) {
  auto pr = tests::model_problem(FitModel::gauss2d);
  tests::fill(pr, 40'000, tests::Noise::none, 32);  // 10^6 values: a part per thread
  pr.data[39'000 * 25 + 3] = NAN;
  pr.initial[12'000 * 5 + 1] = INFINITY;
  algorithms::Fitter fitter(context(), pr.settings);
  EXPECT_EQ(tests::invalid_argument_message([&] { fitter.run(pr.input()); }),
            "initial parameter value 60001 (fit 12000) is not finite");
  pr.initial[12'000 * 5 + 1] = 1;
  pr.settings.estimator = reference::Estimator::poisson_mle;
  pr.data[39'000 * 25 + 3] = 1;
  pr.data[27'000 * 25] = -2;
  EXPECT_EQ(tests::invalid_argument_message([&] { algorithms::Fitter(context(), pr.settings).run(pr.input()); }),
            "poisson_mle needs data >= 0; value 675000 is -2.000000");
}

}  // namespace
}  // namespace vulkanite
