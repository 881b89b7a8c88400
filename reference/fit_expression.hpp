#pragma once
// A fit model given at run time as an expression of x (and y) and parameters p[0]..p[P-1], e.g.
// "p[0] * exp(-0.5 * ((x - p[1]) / p[2])^2) + p[3]", with derivatives by forward-mode automatic
// differentiation.
//
// The expression is parsed once into a program: a list of steps, each one operation of the fit's
// shared arithmetic (reference/fit_math.hpp) on earlier steps. The derivatives are steps of the
// same program (the chain rule applied while the program is built), so the CPU evaluates it here
// and the GPU runs the GLSL that algorithms/fit_expression.cpp writes from the same steps, one
// line per step: the two round identically. docs/fit_cli.md gives the syntax and the functions.
#include "reference/fit_models.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vulkanite::reference {

// Each step's operation, with its float and double meaning (GLSL: the float one).
enum class ExpressionOp : std::uint8_t {
  x, y,                   // the point's coordinates
  parameter,              // p[a]
  constant,               // a literal: float rounded once from the decimal text and flushed; double
  add, subtract, multiply,  // fadd, fsub, fmul
  negate,                 // fsub(0, a): exact, and never -0
  divide,                 // ftz(cr_div(a, b)): correctly rounded (double: a / b)
  reciprocal,             // fit_rcp
  exp, log,               // fit_exp, fit_log
  sqrt,                   // cr_sqrt: correctly rounded (double: std::sqrt)
  inverse_sqrt,           // fit_rsqrt
  sin, cos,               // fit_sincos
  abs,                    // clears the sign bit: exact
  negate_if_negative,     // a < 0 ? fsub(0, b) : b (the derivative of abs)
};

struct ExpressionStep {
  ExpressionOp op = ExpressionOp::constant;
  std::uint32_t a = 0, b = 0;  // operands, indices of earlier steps (parameter: its index)
  float value_float = 0;       // constant only
  double value_double = 0;
};

class FitExpression {
 public:
  // Throws std::invalid_argument naming the problem and its column (1-based): an empty
  // expression, an unknown name or function, a wrong argument count, an unbalanced parenthesis,
  // p without a literal index or with one >= 32, a number out of range, nesting deeper than 64.
  // `parameters` = 0: P is one more than the largest index used; else P itself. Every parameter
  // p[0]..p[P-1] must appear (one that does not would make every fit singular).
  explicit FitExpression(std::string_view text, std::uint32_t parameters = 0);

  const std::string& text() const noexcept { return text_; }
  std::uint32_t parameters() const noexcept { return parameters_; }
  std::uint32_t dimensions() const noexcept { return dimensions_; }  // 2 when y appears, else 1
  std::span<const ExpressionStep> steps() const noexcept { return steps_; }
  std::uint32_t value_step() const noexcept { return value_; }
  // Per parameter, the step that holds the derivative of the model.
  std::span<const std::uint32_t> derivative_steps() const noexcept { return derivatives_; }

  // The model's value at (x, y) and its derivatives in d[0..P-1]; `scratch` holds the steps.
  template <class T>
  T evaluate(const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d, std::vector<T>& scratch) const;

 private:
  std::string text_;
  std::uint32_t parameters_ = 0, dimensions_ = 1, value_ = 0;
  std::vector<ExpressionStep> steps_;
  std::vector<std::uint32_t> derivatives_;
};

extern template float FitExpression::evaluate(const ParameterArray<float>&, float, float, ParameterArray<float>&,
                                              std::vector<float>&) const;
extern template double FitExpression::evaluate(const ParameterArray<double>&, double, double,
                                               ParameterArray<double>&, std::vector<double>&) const;

}  // namespace vulkanite::reference
