// Fit models given as expressions (reference/fit_expression.hpp, algorithms/fit_expression.hpp):
// the parser's messages, derivatives by forward-mode differentiation against finite differences,
// the generated GLSL, the SPIR-V cache, known truth recovered in float and double, the NIST
// problems written as expressions in the double mode, the GPU bit-identical to the reference,
// and malformed input that is refused, never crashes.
#include "algorithms/fit.hpp"
#include "algorithms/fit_expression.hpp"
#include "reference/fit.hpp"

#include "fit_compare.hpp"
#include "fit_nist_data.hpp"
#include "fit_problems.hpp"
#include "support/data.hpp"
#include "support/gpu_test.hpp"
#include "support/invalid_argument.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <string>

namespace vulkanite {
namespace {

using reference::ExpressionOp;
using reference::FitExpression;
using reference::FitState;

const std::string kGauss1d = "p[0]*exp(-0.5*((x-p[1])/p[2])^2)+p[3]";

std::string parse_error(const std::string& text, std::uint32_t parameters = 0) {
  return tests::invalid_argument_message([&] { FitExpression e(text, parameters); });
}

TEST(FitExpressionTest, ParserErrorsNameTheProblemAndColumn) {
  const std::map<std::string, std::string> cases{
      {"", "empty expression"},
      {"  ", "empty expression"},
      {"p[0]*foo(x)", "unknown function 'foo' at column 6 (exp, log, sqrt, inversesqrt, sin, cos, tan, abs, pow)"},
      {"p[0]*z", "unknown name 'z' at column 6 (x, y, pi, p[i] or a function call)"},
      {"(p[0]*x", "unbalanced parenthesis: '(' at column 1 is not closed"},
      {"exp(p[0]*x", "unbalanced parenthesis: '(' at column 4 is not closed"},
      {"p[0]*x)", "unbalanced parenthesis: ')' at column 7 has no '('"},
      {"p[32]*x", "parameter index 32 at column 3: at most 32 parameters, p[0] to p[31]"},
      {"p*x", "p at column 1 needs a literal index: p[0] to p[31]"},
      {"p[i]", "p at column 1 needs a literal index: p[0] to p[31]"},
      {"p[0*x", "expected ']' at column 4, found '*'"},
      {"p[0]*x$", "unexpected character '$' at column 7"},
      {"p[0]*", "expected an operand at column 6, found the end of the expression"},
      {"p[0]*x +* 2", "expected an operand at column 9, found '*'"},
      {"2x*p[0]", "expected an operator at column 2, found 'x'"},
      {"p[0]]", "expected an operator at column 5, found ']'"},
      {"exp(p[0], x)", "function 'exp' at column 1 takes 1 argument, not 2"},
      {"pow(p[0])", "function 'pow' at column 1 takes 2 arguments, not 1"},
      {"exp p[0]", "function 'exp' at column 1 needs its arguments in parentheses"},
      {"1.2.3*p[0]", "'1.2.3' at column 1 is not a number"},
      {"1e999*p[0]", "the number 1e999 at column 1 is out of range"},
      {"1e39*p[0]", "the number 1e39 at column 1 is out of float range"},
      {"x", "no parameter p[i] appears"},
      {"p[0]*x + p[2]", "p[1] does not appear; every parameter p[0] to p[2] must"},
      {"p[0]^0 + p[1]*x", "p[0] does not change the model; every parameter p[0] to p[1] must"},
      {"p[0]*x\x01", "unexpected character the byte 1 at column 7"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(parse_error(text), "expression: " + message) << text;
  EXPECT_EQ(parse_error("p[0]*x", 2), "expression: p[1] does not appear; every parameter p[0] to p[1] must");
  EXPECT_EQ(parse_error("p[0]*x + p[2]", 2), "expression: p[2] at column 10 is beyond the 2 parameters given");
  EXPECT_EQ(parse_error("p[0]", 33), "expression: at most 32 parameters, not 33");
  EXPECT_EQ(parse_error(std::string(100, '(') + "p[0]" + std::string(100, ')')),
            "expression: nested deeper than 64 at column 65");
  EXPECT_EQ(parse_error("p[0]" + std::string(5000, ' ')), "expression: too long: 5004 characters, at most 4096");
  // sin(x*sin(x*...(p[0]+...+p[31])...)): each level adds 2 + 2 x 32 derivative steps.
  std::string all = "p[0]", towers;
  for (int j = 1; j < 32; ++j) all += std::string("+p[") + std::to_string(j) + "]";
  for (int i = 0; i < 6; ++i) {
    std::string tower = all;
    for (int level = 0; level < 60; ++level) tower = "sin(x*" + tower + ")";
    towers += (i ? "+" : "") + tower;
  }
  ASSERT_LT(towers.size(), 4096u);
  EXPECT_EQ(parse_error(towers).rfind("expression: too large: ", 0), 0u) << parse_error(towers);
}

TEST(FitExpressionTest, CountsParametersAndDimensions) {
  const FitExpression e(kGauss1d);
  EXPECT_EQ(e.parameters(), 4u);
  EXPECT_EQ(e.dimensions(), 1u);
  EXPECT_EQ(FitExpression("p[0]*x*y").dimensions(), 2u);
  EXPECT_EQ(FitExpression("p[2]*x + p[0] - p[1]", 3).parameters(), 3u);
  reference::FitSettings<float> settings{.model = reference::FitModel::odmr};
  settings.expression = FitExpression("p[0] + p[1]*y");
  EXPECT_EQ(reference::parameter_count(settings), 2u);
  EXPECT_EQ(reference::model_dimensions(settings), 2u);
}

// x^n for a literal integer |n| <= 16 is n - 1 products (1 / that for n < 0); any other power is
// e^(b ln a).
TEST(FitExpressionTest, PowersAreProductsOrExpOfLog) {
  const auto count = [](const std::string& text, ExpressionOp op) {
    int n = 0;
    for (const auto& s : FitExpression(text).steps()) n += s.op == op;
    return n;
  };
  EXPECT_EQ(count("p[0]*x^3", ExpressionOp::multiply), 3);  // x x, (x x) x, p0 x^3 (d/dp0 is x^3 itself)
  EXPECT_EQ(count("x*p[0]^3", ExpressionOp::multiply), 5);  // and 3 (p0 p0), x (3 p0^2) for d/dp0
  EXPECT_EQ(count("p[0]*x^3", ExpressionOp::exp), 0);
  EXPECT_EQ(count("p[0]*x^-2", ExpressionOp::divide), 1);
  EXPECT_EQ(count("p[0]*x^2.5", ExpressionOp::exp), 1);
  EXPECT_EQ(count("p[0]*x^2.5", ExpressionOp::log), 1);
  EXPECT_EQ(count("pow(x, p[0])", ExpressionOp::log), 1);
  EXPECT_EQ(count("p[0]^17", ExpressionOp::exp), 1);
}

TEST(FitExpressionTest, GeneratedGlslIsOneLinePerStep) {
  EXPECT_EQ(algorithms::fit_expression_glsl(FitExpression("p[0]*x + p[1]")),
            "// Generated by algorithms/fit_expression.cpp from the expression\n"
            "//   p[0]*x + p[1]\n"
            "// one line per step of its program; twin: reference::FitExpression::evaluate.\n"
            "const uint kModelDimensions = 1u;\n\n"
            "float evaluate_model(float p[kMaxParameters], float x, float y, out float d[kMaxParameters]) {\n"
            "  float s0 = p[0];\n"
            "  float s1 = uintBitsToFloat(0x3f800000u);\n"
            "  float s2 = x;\n"
            "  float s3 = fmul(s0, s2);\n"
            "  float s4 = p[1];\n"
            "  float s5 = fadd(s3, s4);\n"
            "  d[0] = s2;\n"
            "  d[1] = s1;\n"
            "  return s5;\n"
            "}\n");
}

struct Case {
  std::string text;
  std::vector<double> p;
};

// Every function and operator, at parameters where each is smooth.
const std::vector<Case>& smooth_cases() {
  static const std::vector<Case> cases{
      {kGauss1d, {100, 15.5, 3, 10}},
      {"p[0]*sin(p[1]*x+p[2])*exp(-x/p[3])+p[4]", {2, 1.3, 0.4, 5, 0.1}},
      {"p[0]*log(p[1]*x+1) + sqrt(p[2]*x+p[3]) - inversesqrt(x+p[3])", {1.5, 0.7, 2, 3}},
      {"abs(p[0]-x)*p[1] + cos(p[2]*x)/p[3] + tan(p[4]*x/10)", {3.3, 2, 0.5, 1.7, 0.3}},
      {"pow(x+1, p[0]) * p[1]^2 + x^-2*p[2] + p[3]^3 - 2^p[0]", {0.7, 1.1, 2, 1.3}},
      {"p[0]*exp(-((x-p[1])^2+(y-p[2])^2)/(2*p[3]^2))+p[4]", {500, 2.1, 1.9, 1.2, 20}},
      {"-p[0]/(1+exp(p[1]-p[2]*x)) + pi*p[3]", {72, 2.6, 0.07, 1}},
  };
  return cases;
}

TEST(FitExpressionTest, DerivativesMatchFiniteDifferences) {
  std::vector<double> steps;
  for (const auto& c : smooth_cases()) {
    SCOPED_TRACE(c.text);
    const FitExpression e(c.text);
    ASSERT_EQ(e.parameters(), c.p.size());
    reference::ParameterArray<double> p{}, d{}, unused{};
    for (std::size_t j = 0; j < c.p.size(); ++j) p[j] = c.p[j];
    for (const double x : {0.7, 2.5, 6.1, 9.3}) {
      const double y = 1.7;
      e.evaluate(p, x, y, d, steps);
      for (std::uint32_t j = 0; j < e.parameters(); ++j) {
        const double h = 1e-6 * std::max(1.0, std::fabs(p[j]));
        auto shifted = p;
        shifted[j] = p[j] + h;
        const double up = e.evaluate(shifted, x, y, unused, steps);
        shifted[j] = p[j] - h;
        const double down = e.evaluate(shifted, x, y, unused, steps);
        EXPECT_NEAR(d[j], (up - down) / (2 * h), 1e-6 * std::max(1.0, std::fabs(d[j]))) << "p[" << j << "] at x " << x;
      }
    }
  }
}

// The float program (the GPU's arithmetic) is within a few float roundings of the double one.
TEST(FitExpressionTest, FloatModeFollowsTheDoubleMode) {
  std::vector<double> steps_d;
  std::vector<float> steps_f;
  for (const auto& c : smooth_cases()) {
    SCOPED_TRACE(c.text);
    const FitExpression e(c.text);
    reference::ParameterArray<double> p{}, d{};
    reference::ParameterArray<float> pf{}, df{};
    for (std::size_t j = 0; j < c.p.size(); ++j) {
      pf[j] = static_cast<float>(c.p[j]);
      p[j] = pf[j];
    }
    for (const float x : {0.5f, 2.5f, 6.0f, 9.25f}) {
      const double f = e.evaluate(p, double{x}, 1.75, d, steps_d);
      const float ff = e.evaluate(pf, x, 1.75f, df, steps_f);
      double scale = std::fabs(f);
      for (std::uint32_t j = 0; j < e.parameters(); ++j) scale = std::max(scale, std::fabs(d[j] * p[j]));
      EXPECT_NEAR(ff, f, 1e-5 * scale) << "x " << x;
      for (std::uint32_t j = 0; j < e.parameters(); ++j)
        EXPECT_NEAR(df[j], d[j], 1e-5 * scale / std::max(1e-3, std::fabs(p[j]))) << "p[" << j << "] at x " << x;
    }
  }
}

// Random strings of tokens, and valid expressions with a few bytes changed: each parses or throws
// std::invalid_argument, and what parses evaluates (to anything, NaN included) at awkward
// parameters and writes GLSL.
TEST(FitExpressionTest, InvalidExpressionsNeverCrash) {
  const std::vector<std::string> tokens{"p[0]", "p[1]", "p[31]", "p[", "]", "x", "y", "(", ")", "+", "-", "*", "/",
                                        "^", ",", "exp", "log", "sqrt", "sin", "cos", "tan", "abs", "pow",
                                        "inversesqrt", "1", "0", "2.5", "1e30", "1e-40", "-3", "pi", " ", "$", "p[40]",
                                        "foo", "\t", "1e", ".", "e"};
  std::mt19937 rng(3);
  int valid = 0;
  std::vector<float> sf;
  std::vector<double> sd;
  const auto below = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (i % 2 == 0) {
      for (std::size_t t = below(15); t > 0; --t) text += tokens[below(tokens.size())];
    } else {
      text = smooth_cases()[below(smooth_cases().size())].text;
      for (std::size_t m = 1 + below(3); m > 0; --m) {
        const std::size_t at = below(text.size());
        const auto byte = static_cast<char>(below(256));
        if (below(3) == 0) text.erase(at, 1);
        else if (below(2) == 0) text.insert(at, 1, byte);
        else text[at] = byte;
      }
    }
    try {
      const FitExpression e(text);
      ++valid;
      reference::ParameterArray<float> pf{}, df{};
      reference::ParameterArray<double> pd{}, dd{};
      for (const float v : {0.0f, -1.0f, 3e38f, 1e-30f}) {
        pf.fill(v);
        pd.fill(v);
        e.evaluate(pf, v, -v, df, sf);
        e.evaluate(pd, double{v}, double{-v}, dd, sd);
      }
      EXPECT_FALSE(algorithms::fit_expression_glsl(e).empty());
    } catch (const std::invalid_argument& error) {
      EXPECT_EQ(std::string(error.what()).rfind("expression: ", 0), 0u) << error.what();
    }
  }
  EXPECT_GT(valid, 100);  // the generator reaches valid expressions too
}

TEST(FitExpressionTest, SpirvIsCachedOnDisk) {
  tests::TempDir dir;
  const FitExpression e("p[0]*sin(x) + p[1]");
  const auto first = algorithms::compile_fit_expression(e, dir.path());
  EXPECT_FALSE(first.from_cache);
  ASSERT_TRUE(std::filesystem::exists(first.cache_file)) << first.cache_file;
  EXPECT_EQ(first.cache_file.parent_path(), dir.path());
  const auto second = algorithms::compile_fit_expression(e, dir.path());
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(second.spirv, first.spirv);
  EXPECT_NE(algorithms::compile_fit_expression(FitExpression("p[0]*cos(x) + p[1]"), dir.path()).cache_file,
            first.cache_file);
  // A damaged file is compiled again and replaced, never handed to the driver.
  std::filesystem::resize_file(first.cache_file, std::filesystem::file_size(first.cache_file) - 8);
  const auto third = algorithms::compile_fit_expression(e, dir.path());
  EXPECT_FALSE(third.from_cache);
  EXPECT_EQ(third.spirv, first.spirv);
  EXPECT_TRUE(algorithms::compile_fit_expression(e, dir.path()).from_cache);
  const auto uncached = algorithms::compile_fit_expression(e, {});
  EXPECT_TRUE(uncached.cache_file.empty());
  EXPECT_EQ(uncached.spirv, first.spirv);
}

// The built-in gauss1d and linear1d written as expressions recover noise-free truth as the
// built-in models do (docs/fit.md: float within 2e-4, double within 1e-6).
TEST(FitExpressionTest, BuiltInModelsAsExpressionsRecoverTheTruth) {
  for (const auto& [model, text] : {std::pair{reference::FitModel::gauss1d, kGauss1d},
                                    std::pair{reference::FitModel::linear1d, std::string("p[0] + p[1]*x")}}) {
    SCOPED_TRACE(text);
    auto pr = tests::model_problem(model);
    pr.settings.expression = FitExpression(text);
    tests::fill(pr, 4, tests::Noise::none, 5);
    const auto f = reference::fit(pr.input(), pr.settings);
    reference::FitSettings<double> sd;
    sd.expression = pr.settings.expression;
    sd.tolerance = 0;
    sd.max_iterations = 100;
    const std::vector<double> data(pr.data.begin(), pr.data.end()), initial(pr.initial.begin(), pr.initial.end());
    const auto d = reference::fit<double>({pr.fits, pr.points, data, {}, {}, initial}, sd);
    for (std::size_t n = 0; n < pr.fits; ++n) {
      EXPECT_EQ(f.states[n], FitState::converged);
      EXPECT_EQ(d.states[n], FitState::converged);
      for (std::size_t j = 0; j < pr.truth.size(); ++j) {
        const double truth = pr.truth[j];
        EXPECT_NEAR(f.parameters[n * pr.truth.size() + j], truth, 2e-4 * std::fabs(truth)) << "float p[" << j << "]";
        EXPECT_NEAR(d.parameters[n * pr.truth.size() + j], truth, 1e-6 * std::fabs(truth)) << "double p[" << j << "]";
      }
    }
  }
}

// NIST StRD problems written as expressions: the double mode reaches the certified values as the
// hand-differentiated models of tests/fit_nist_test.cpp do.
const std::map<std::string, std::string> kNistExpressions{
    {"Misra1a", "p[0]*(1-exp(-p[1]*x))"},
    {"BoxBOD", "p[0]*(1-exp(-p[1]*x))"},
    {"Chwirut2", "exp(-p[0]*x)/(p[1]+p[2]*x)"},
    {"DanWood", "p[0]*x^p[1]"},
    {"Gauss1", "p[0]*exp(-p[1]*x) + p[2]*exp(-(x-p[3])^2/p[4]^2) + p[5]*exp(-(x-p[6])^2/p[7]^2)"},
    {"Gauss2", "p[0]*exp(-p[1]*x) + p[2]*exp(-(x-p[3])^2/p[4]^2) + p[5]*exp(-(x-p[6])^2/p[7]^2)"},
    {"Hahn1", "(p[0] + p[1]*x + p[2]*x^2 + p[3]*x^3) / (1 + p[4]*x + p[5]*x^2 + p[6]*x^3)"},
    {"Kirby2", "(p[0] + p[1]*x + p[2]*x^2) / (1 + p[3]*x + p[4]*x^2)"},
    {"Lanczos3", "p[0]*exp(-p[1]*x) + p[2]*exp(-p[3]*x) + p[4]*exp(-p[5]*x)"},
    {"Rat42", "p[0] / (1 + exp(p[1] - p[2]*x))"},
};

class FitExpressionNistTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FitExpressionNistTest, DoubleModeReachesTheCertifiedValues) {
  const std::string relative = "nist/" + GetParam() + ".dat";
  const auto file = tests::shared_data(relative);
  if (!file) GTEST_SKIP() << tests::missing_data_message(relative);
  const auto pr = tests::read_nist(*file);
  reference::FitSettings<double> settings;
  settings.expression = FitExpression(kNistExpressions.at(GetParam()));
  ASSERT_EQ(settings.expression->parameters(), pr.certified.size());
  settings.max_iterations = 1000;
  settings.tolerance = 0;
  for (const auto* start : {&pr.start1, &pr.start2}) {
    SCOPED_TRACE(start == &pr.start1 ? "start 1" : "start 2");
    const auto result = reference::fit<double>({1, pr.x.size(), pr.y, {}, pr.x, *start}, settings);
    if (GetParam() == "BoxBOD" && start == &pr.start1) {  // docs/fit.md: flagged, not wrong
      EXPECT_EQ(result.states[0], FitState::singular_hessian) << reference::state_name(result.states[0]);
      continue;
    }
    EXPECT_EQ(result.states[0], FitState::converged) << reference::state_name(result.states[0]);
    for (std::size_t j = 0; j < pr.certified.size(); ++j) {
      EXPECT_NEAR(result.parameters[j], pr.certified[j], 1e-6 * std::fabs(pr.certified[j])) << "b" << j + 1;
      EXPECT_NEAR(result.standard_errors[j], pr.deviation[j], 1e-4 * pr.deviation[j]) << "sd(b" << j + 1 << ")";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(FitStRD, FitExpressionNistTest,
                         ::testing::Values("Misra1a", "Chwirut2", "DanWood", "Gauss1", "Gauss2", "Kirby2", "Hahn1",
                                           "Lanczos3", "Rat42", "BoxBOD"),
                         [](const auto& test) { return test.param; });

class FitExpressionGpuTest : public tests::GpuTest {
 protected:
  // GPU against reference, bit for bit; returns the reference's result.
  reference::FitResult<float> check(const tests::FitProblem& pr, algorithms::FitShape shape = {}) {
    algorithms::Fitter fitter(context(), pr.settings, shape);
    const auto cpu = reference::fit(pr.input(), pr.settings);
    tests::expect_identical(fitter.run(pr.input()), cpu, fitter.parameters());
    return cpu;
  }

  static tests::FitProblem problem(const std::string& text, std::vector<float> truth, std::size_t points,
                                   std::vector<float> x = {}) {
    tests::FitProblem pr;
    pr.settings.expression = FitExpression(text);
    pr.points = points;
    pr.truth = std::move(truth);
    pr.x = std::move(x);
    return pr;
  }

  static int converged(const reference::FitResult<float>& r) {
    int n = 0;
    for (const auto s : r.states) n += s == FitState::converged;
    return n;
  }
};

std::vector<float> range(std::size_t n, float step, float first = 0) {
  std::vector<float> v;
  for (std::size_t k = 0; k < n; ++k) v.push_back(first + step * static_cast<float>(k));
  return v;
}

TEST_F(FitExpressionGpuTest, GaussianExpressionBitIdenticalToTheReference) {
  auto pr = problem(kGauss1d, {100, 15.5f, 3, 10}, 32);
  tests::fill(pr, 6, tests::Noise::gaussian, 61);
  EXPECT_GE(converged(check(pr)), 5);
  pr.settings.estimator = reference::Estimator::poisson_mle;  // counts: another estimator, bounds, a fixed one
  tests::fill(pr, 5, tests::Noise::poisson, 62);
  pr.settings.lower = {0, 0, 0.5f, 0};
  pr.settings.upper = {1000, 31, 10, 100};
  pr.settings.free_mask = 0b0111;
  EXPECT_GE(converged(check(pr)), 4);
  for (const auto shape : {algorithms::FitShape{64, 8}, algorithms::FitShape{32, 32}}) check(pr, shape);
}

TEST_F(FitExpressionGpuTest, TranscendentalExpressionsBitIdentical) {
  const std::vector<std::pair<std::string, std::vector<float>>> cases{
      {"p[0]*sin(p[1]*x+p[2])*exp(-x/p[3])+p[4]", {2, 1.3f, 0.4f, 5, 0.1f}},
      {"p[0]*log(x+p[1]) + p[2]*sqrt(x) - p[3]*inversesqrt(x)", {1.5f, 0.7f, 2, 3}},
      {"abs(p[0]-x)*p[1] + cos(p[2]*x)/p[3] + tan(p[4]*x/10)", {3.3f, 2, 0.5f, 1.7f, 0.3f}},
      {"pow(x+1, p[0]) * p[1]^2 + x^-2*p[2] + p[3]^3", {0.7f, 1.1f, 2, 1.3f}},
  };
  for (const auto& [text, truth] : cases) {
    SCOPED_TRACE(text);
    auto pr = problem(text, truth, 40, range(40, 0.25f, 0.5f));
    tests::fill(pr, 5, tests::Noise::gaussian, 63);
    EXPECT_GE(converged(check(pr)), 3);
    if (::testing::Test::HasFailure()) return;
  }
}

// y: the default square grid, and coordinates given per point.
TEST_F(FitExpressionGpuTest, TwoDimensionalExpressionBitIdentical) {
  const std::string gauss2d = "p[0]*exp(-((x-p[1])^2+(y-p[2])^2)/(2*p[3]^2))+p[4]";
  auto pr = problem(gauss2d, {500, 2.1f, 1.9f, 1.2f, 20}, 25);
  tests::fill(pr, 6, tests::Noise::gaussian, 64);
  EXPECT_GE(converged(check(pr)), 5);
  pr = problem(gauss2d, {500, 2.1f, 1.9f, 1.2f, 20}, 20);
  for (std::size_t k = 0; k < 20; ++k)
    pr.x.insert(pr.x.end(), {0.5f * static_cast<float>(k % 5), static_cast<float>(k / 5)});
  tests::fill(pr, 3, tests::Noise::gaussian, 65);
  check(pr);
}

// A model that is NaN or infinite at some fits' initial values: those fits are invalid_input on
// both sides, the others fitted.
TEST_F(FitExpressionGpuTest, NonFiniteModelsGiveTheSameStates) {
  auto pr = problem("p[0]*log(x - p[1]) + p[2]/x", {3, -0.5f, 2}, 30, range(30, 0.5f, 0.25f));
  tests::fill(pr, 4, tests::Noise::gaussian, 66);
  pr.initial[1 * 3 + 1] = 1.0f;  // fit 1: log of a negative number at x = 0.25
  const auto result = check(pr);
  EXPECT_EQ(result.states[1], FitState::invalid_input);
  EXPECT_GE(converged(result), 2);
}

// The float mode on the GPU with a NIST model: bit-identical to the reference.
TEST_F(FitExpressionGpuTest, NistMisra1aBitIdentical) {
  const auto file = tests::shared_data("nist/Misra1a.dat");
  if (!file) GTEST_SKIP() << tests::missing_data_message("nist/Misra1a.dat");
  const auto nist = tests::read_nist(*file);
  tests::FitProblem pr = problem(kNistExpressions.at("Misra1a"), {}, nist.x.size(),
                                 std::vector<float>(nist.x.begin(), nist.x.end()));
  pr.fits = 1;
  pr.data.assign(nist.y.begin(), nist.y.end());
  pr.initial.assign(nist.start2.begin(), nist.start2.end());
  pr.settings.max_iterations = 1000;
  pr.settings.tolerance = 0;
  const auto result = check(pr);
  EXPECT_EQ(result.states[0], FitState::converged);
  for (std::size_t j = 0; j < 2; ++j) EXPECT_NEAR(result.parameters[j], nist.certified[j], 1e-5 * nist.certified[j]);
}

}  // namespace
}  // namespace vulkanite
