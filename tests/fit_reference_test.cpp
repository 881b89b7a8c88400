// The fit's CPU reference alone: the accuracy of the shared transcendentals (the numbers quoted
// in docs/fit.md), recovery of known parameters from noise-free data for every model in float
// and double, states, and the input errors.
#include "reference/fit.hpp"

#include "fit_problems.hpp"
#include "support/invalid_argument.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <string>

namespace vulkanite {
namespace {

using reference::Estimator;
using reference::FitModel;
using reference::FitState;
namespace fm = reference::fit_math;

// Distance in representable floats between a and the float nearest to `exact`.
std::int64_t ulp_distance(float a, double exact) {
  const auto ordered = [](float f) {
    const auto i = std::bit_cast<std::int32_t>(f);
    return i < 0 ? std::int64_t{INT32_MIN} - i : std::int64_t{i};
  };
  const std::int64_t d = ordered(a) - ordered(static_cast<float>(exact));
  return d < 0 ? -d : d;
}

TEST(FitMathTest, SharedTranscendentalsAreWithinAFewUlp) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> exp_args(-87.3, 88.7), decades(-37, 37), angles(-100, 100);
  std::int64_t exp_ulp = 0, log_ulp = 0, rcp_ulp = 0, rsqrt_ulp = 0;
  double sincos_error = 0;
  for (int i = 0; i < 200000; ++i) {
    const auto x = static_cast<float>(exp_args(rng));
    exp_ulp = std::max(exp_ulp, ulp_distance(fm::fit_exp(x), std::exp(static_cast<double>(x))));
    const auto y = static_cast<float>(std::pow(10.0, decades(rng)));
    log_ulp = std::max(log_ulp, ulp_distance(fm::fit_log(y), std::log(static_cast<double>(y))));
    rcp_ulp = std::max(rcp_ulp, ulp_distance(fm::fit_rcp(y), 1.0 / static_cast<double>(y)));
    rsqrt_ulp = std::max(rsqrt_ulp, ulp_distance(fm::fit_rsqrt(y), 1.0 / std::sqrt(static_cast<double>(y))));
    const auto a = static_cast<float>(angles(rng));
    const auto sc = fm::fit_sincos(a);
    sincos_error = std::max({sincos_error, std::fabs(sc.sin - std::sin(static_cast<double>(a))),
                             std::fabs(sc.cos - std::cos(static_cast<double>(a)))});
  }
  EXPECT_LE(exp_ulp, 1);
  EXPECT_LE(log_ulp, 3);
  EXPECT_LE(rcp_ulp, 2);
  EXPECT_LE(rsqrt_ulp, 2);
  EXPECT_LE(sincos_error, 0x1.8p-24);  // absolute, for |x| <= 100
}

TEST(FitMathTest, SpecialValues) {
  const float inf = INFINITY;
  EXPECT_EQ(fm::fit_exp(0.0f), 1.0f);
  EXPECT_EQ(fm::fit_exp(-100.0f), 0.0f);  // below FLT_MIN: flushed
  EXPECT_EQ(fm::fit_exp(89.0f), inf);
  EXPECT_EQ(fm::fit_exp(-inf), 0.0f);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(fm::fit_exp(NAN)), reference::kCanonicalNan);
  EXPECT_EQ(fm::fit_log(1.0f), 0.0f);
  EXPECT_EQ(fm::fit_log(0.0f), -inf);
  EXPECT_TRUE(std::isnan(fm::fit_log(-1.0f)));
  EXPECT_EQ(fm::fit_rcp(0.0f), inf);
  EXPECT_EQ(fm::fit_rcp(inf), 0.0f);
  EXPECT_EQ(fm::fit_rcp(2.0f), 0.5f);
  EXPECT_EQ(fm::fit_rcp(-4.0f), -0.25f);
  EXPECT_TRUE(std::isnan(fm::fit_rsqrt(0.0f)));
  EXPECT_EQ(fm::fit_sincos(0.0f).sin, 0.0f);
  EXPECT_EQ(fm::fit_sincos(0.0f).cos, 1.0f);
}

// Noise-free data, initial values 5 % off: every model recovers its parameters, in both modes.
class FitRecoveryTest : public ::testing::TestWithParam<FitModel> {};

TEST_P(FitRecoveryTest, RecoversKnownParametersFromNoiseFreeData) {
  auto pr = tests::model_problem(GetParam());
  pr.settings.max_iterations = 100;
  tests::fill(pr, 4, tests::Noise::none, 3);
  const auto np = pr.truth.size();
  const auto result = reference::fit(pr.input(), pr.settings);

  reference::FitSettings<double> settings_d{pr.settings.model, pr.settings.dips, pr.settings.estimator, 100, 1e-12,
                                            pr.settings.free_mask, {}, {}};
  settings_d.lower.assign(pr.settings.lower.begin(), pr.settings.lower.end());
  const std::vector<double> data(pr.data.begin(), pr.data.end()), x(pr.x.begin(), pr.x.end()),
      initial(pr.initial.begin(), pr.initial.end());
  const auto result_d = reference::fit<double>({pr.fits, pr.points, data, {}, x, initial}, settings_d);
  for (std::size_t n = 0; n < pr.fits; ++n) {
    SCOPED_TRACE("fit " + std::to_string(n));
    EXPECT_EQ(result.states[n], FitState::converged) << reference::state_name(result.states[n]);
    EXPECT_EQ(result_d.states[n], FitState::converged) << reference::state_name(result_d.states[n]);
    for (std::size_t j = 0; j < np; ++j) {
      const double truth = pr.truth[j];
      // float: the data are rounded to float and every sum is a float sum.
      EXPECT_NEAR(result.parameters[n * np + j], truth, 2e-4 * std::max(std::fabs(truth), 1.0)) << "parameter " << j;
      EXPECT_NEAR(result_d.parameters[n * np + j], truth, 1e-6 * std::max(std::fabs(truth), 1.0)) << "parameter " << j;
      EXPECT_TRUE(std::isfinite(result.standard_errors[n * np + j]));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(FitModels, FitRecoveryTest,
                         ::testing::Values(FitModel::gauss1d, FitModel::gauss2d, FitModel::gauss2d_elliptic,
                                           FitModel::gauss2d_rotated, FitModel::cauchy2d_elliptic, FitModel::linear1d,
                                           FitModel::exponential_decay, FitModel::odmr),
                         [](const auto& test) { return std::string(reference::model_name(test.param)); });

TEST(FitReferenceTest, StatesForSingularOutOfBoundsAndNegativeModel) {
  // All x equal: offset and slope cannot be told apart.
  auto pr = tests::model_problem(FitModel::linear1d);
  pr.x.assign(pr.points, 3.0f);
  tests::fill(pr, 1, tests::Noise::gaussian, 5);
  auto result = reference::fit(pr.input(), pr.settings);
  EXPECT_EQ(result.states[0], FitState::singular_hessian);
  EXPECT_TRUE(std::isnan(result.standard_errors[0]));

  pr = tests::model_problem(FitModel::gauss1d);
  tests::fill(pr, 1, tests::Noise::none, 5);
  pr.settings.lower = {0, 0, 0, 0};
  pr.settings.upper = {1000, 100, 2, 100};  // the initial sigma (about 3) is above 2
  result = reference::fit(pr.input(), pr.settings);
  EXPECT_EQ(result.states[0], FitState::invalid_input);
  EXPECT_EQ(result.iterations[0], 0u);

  pr = tests::model_problem(FitModel::gauss2d);
  pr.settings.estimator = Estimator::poisson_mle;
  tests::fill(pr, 1, tests::Noise::poisson, 5);
  pr.initial[4] = -50;  // negative background: the model is negative away from the peak
  result = reference::fit(pr.input(), pr.settings);
  EXPECT_EQ(result.states[0], FitState::negative_curvature);
}

// Near its minimum a float chi^2 moves by rounding alone: a step that changes it by less than
// the tolerance converges, accepted or rejected, so a fit restarted at its own minimum stops after
// one step. Testing accepted steps only, 53 of these 60 fits rejected their first step and went on
// while lambda grew until the steps vanished.
TEST(FitReferenceTest, AFitRestartedAtItsMinimumConvergesInOneStep) {
  for (const auto model : {FitModel::gauss2d, FitModel::gauss2d_rotated, FitModel::odmr}) {
    SCOPED_TRACE(std::string(reference::model_name(model)));
    auto pr = tests::model_problem(model);
    tests::fill(pr, 20, tests::Noise::gaussian, 12);
    auto until_chi2_stops_falling = pr.settings;
    until_chi2_stops_falling.tolerance = 0;
    until_chi2_stops_falling.max_iterations = 200;
    const auto minimum = reference::fit(pr.input(), until_chi2_stops_falling);
    pr.initial.assign(minimum.parameters.begin(), minimum.parameters.end());
    const auto restarted = reference::fit(pr.input(), pr.settings);  // the default tolerance, 1e-4
    for (std::size_t n = 0; n < pr.fits; ++n) {
      ASSERT_EQ(minimum.states[n], FitState::converged) << n;
      EXPECT_EQ(restarted.states[n], FitState::converged) << n;
      EXPECT_EQ(restarted.iterations[n], 1u) << n;
    }
  }
}

TEST(FitReferenceTest, BadInputThrowsNamingTheProblem) {
  auto pr = tests::model_problem(FitModel::gauss2d);
  tests::fill(pr, 2, tests::Noise::none, 1);
  auto run = [&](auto change) {
    auto copy = pr;
    change(copy);
    return tests::invalid_argument_message([&] { reference::fit(copy.input(), copy.settings); });
  };
  EXPECT_EQ(run([](auto&) {}), "no error");
  EXPECT_EQ(run([](auto& p) { p.data.pop_back(); }), "fit data holds 49 values, expected 2 fits x 25 points = 50");
  EXPECT_EQ(run([](auto& p) { p.data[30] = NAN; }), "fit data value 30 (fit 1) is not finite");
  EXPECT_EQ(run([](auto& p) { p.initial.pop_back(); }),
            "initial parameters holds 9 values, expected 2 fits x 5 parameters = 10");
  EXPECT_EQ(run([](auto& p) { p.settings.model = static_cast<FitModel>(42); }), "unknown fit model 42");
  EXPECT_EQ(run([](auto& p) {
              p.settings.lower = {0, 0, 0, 5, 0};
              p.settings.upper = {1, 1, 1, 1, 1};
            }),
            "parameter 3 has lower bound 5.000000 > upper bound 1.000000");
  EXPECT_EQ(run([](auto& p) { p.settings.lower = {0, 0}; }), "bounds hold 2 values, expected 0 or 5");
  EXPECT_EQ(run([](auto& p) { p.settings.estimator = Estimator::weighted_least_squares; }),
            "weighted_least_squares needs weights");
  EXPECT_EQ(run([](auto& p) {
              p.settings.estimator = Estimator::poisson_mle;
              p.data[3] = -1;
            }),
            "poisson_mle needs data >= 0; value 3 is -1.000000");
  EXPECT_EQ(run([](auto& p) {
              p.points = 24;
              p.data.resize(48);
            }),
            "a 2D model without coordinates needs a square number of points, not 24");
  EXPECT_EQ(run([](auto& p) {
              p.settings.model = FitModel::odmr;
              p.settings.dips = 9;
            }),
            "the odmr model takes 1 to 8 dips, not 9");
  EXPECT_EQ(run([](auto& p) { p.x = {1, 2, 3}; }), "fit coordinates hold 3 values, expected 50 (shared) or 100 (per fit)");
}

}  // namespace
}  // namespace vulkanite
