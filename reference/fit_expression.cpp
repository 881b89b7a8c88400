// The program of a fit expression (reference/fit_expression.hpp): forward-mode differentiation
// of the syntax tree (reference/fit_expression_syntax.cpp) into value and derivative steps, and
// their evaluation on the CPU.
#include "reference/fit_expression.hpp"

#include "reference/fit_expression_syntax.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>

namespace vulkanite::reference {
namespace {

using namespace fit_math;
using namespace expression_syntax;

constexpr std::size_t kMaxLength = 4096;
constexpr std::size_t kMaxSteps = 20000;
constexpr int kMaxRepeatedPower = 16;  // x^n with a literal integer |n| <= 16: n - 1 products

std::string parameter_name(std::uint32_t j) { return std::string("p[").append(std::to_string(j)).append("]"); }

// Derivative slots: a step, or kZero where the derivative is zero by construction (no step; the
// same on both sides, so skipping it changes no bit).
constexpr std::int32_t kZero = -1;

struct Dual {
  std::uint32_t value = 0;
  std::array<std::int32_t, kMaxFitParameters> d;
  Dual() { d.fill(kZero); }
};

// Builds the program: each function below is one rule of forward-mode differentiation, written
// with the operations of ExpressionOp only.
class Builder {
 public:
  std::vector<ExpressionStep> steps;

  std::uint32_t emit(ExpressionOp op, std::uint32_t a = 0, std::uint32_t b = 0) {
    steps.push_back({op, a, b});
    return static_cast<std::uint32_t>(steps.size() - 1);
  }

  Dual input(ExpressionOp op) {
    Dual r;
    r.value = emit(op);
    return r;
  }
  Dual parameter(std::uint32_t j) {
    Dual r;
    r.value = emit(ExpressionOp::parameter, j);
    r.d[j] = static_cast<std::int32_t>(constant(1.0f, 1.0));
    return r;
  }
  std::uint32_t constant(float f, double v) {
    const auto key = std::make_pair(std::bit_cast<std::uint32_t>(f), std::bit_cast<std::uint64_t>(v));
    const auto [it, fresh] = constants_.try_emplace(key, 0u);
    if (fresh) {
      steps.push_back({.op = ExpressionOp::constant, .value_float = f, .value_double = v});
      it->second = static_cast<std::uint32_t>(steps.size() - 1);
    }
    return it->second;
  }
  Dual constant_dual(float f, double v) {
    Dual r;
    r.value = constant(f, v);
    return r;
  }

  Dual add(const Dual& a, const Dual& b) {
    Dual r;
    r.value = emit(ExpressionOp::add, a.value, b.value);
    for (std::size_t j = 0; j < kMaxFitParameters; ++j) r.d[j] = plus(a.d[j], b.d[j]);
    return r;
  }
  Dual subtract(const Dual& a, const Dual& b) {
    Dual r;
    r.value = emit(ExpressionOp::subtract, a.value, b.value);
    for (std::size_t j = 0; j < kMaxFitParameters; ++j) r.d[j] = minus(a.d[j], b.d[j]);
    return r;
  }
  Dual multiply(const Dual& a, const Dual& b) {  // (ab)' = a' b + a b'
    Dual r;
    r.value = emit(ExpressionOp::multiply, a.value, b.value);
    for (std::size_t j = 0; j < kMaxFitParameters; ++j) r.d[j] = plus(times(a.d[j], b.value), times(b.d[j], a.value));
    return r;
  }
  Dual divide(const Dual& a, const Dual& b) {  // (a/b)' = (a' - (a/b) b') / b, by one reciprocal
    Dual r;
    r.value = emit(ExpressionOp::divide, a.value, b.value);
    std::optional<std::uint32_t> reciprocal;
    for (std::size_t j = 0; j < kMaxFitParameters; ++j) {
      const std::int32_t numerator = minus(a.d[j], times(b.d[j], r.value));
      if (numerator == kZero) continue;
      if (!reciprocal) reciprocal = emit(ExpressionOp::reciprocal, b.value);
      r.d[j] = times(numerator, *reciprocal);
    }
    return r;
  }
  Dual negate(const Dual& a) {
    Dual r;
    r.value = emit(ExpressionOp::negate, a.value);
    for (std::size_t j = 0; j < kMaxFitParameters; ++j)
      if (a.d[j] != kZero) r.d[j] = slot(emit(ExpressionOp::negate, step(a.d[j])));
    return r;
  }
  // f(a) with f'(a) = factor(): the factor is made once, when a derivative needs it.
  template <class Factor>
  Dual chain(ExpressionOp op, const Dual& a, Factor factor) {
    Dual r;
    r.value = emit(op, a.value);
    std::optional<std::uint32_t> f;
    for (std::size_t j = 0; j < kMaxFitParameters; ++j) {
      if (a.d[j] == kZero) continue;
      if (!f) f = factor(r.value);
      r.d[j] = times(a.d[j], *f);
    }
    return r;
  }
  Dual exp(const Dual& a) {  // (e^a)' = e^a a'
    return chain(ExpressionOp::exp, a, [](std::uint32_t v) { return v; });
  }
  Dual log(const Dual& a) {  // (ln a)' = a' / a
    return chain(ExpressionOp::log, a, [&](std::uint32_t) { return emit(ExpressionOp::reciprocal, a.value); });
  }
  Dual sqrt(const Dual& a) {  // (sqrt a)' = a' (0.5 / sqrt a)
    return chain(ExpressionOp::sqrt, a, [&](std::uint32_t v) {
      return emit(ExpressionOp::multiply, constant(0.5f, 0.5), emit(ExpressionOp::reciprocal, v));
    });
  }
  Dual inverse_sqrt(const Dual& a) {  // (a^-1/2)' = a' (-0.5 a^-1/2) / a
    return chain(ExpressionOp::inverse_sqrt, a, [&](std::uint32_t v) {
      const std::uint32_t half = emit(ExpressionOp::multiply, constant(-0.5f, -0.5), v);
      return emit(ExpressionOp::multiply, half, emit(ExpressionOp::reciprocal, a.value));
    });
  }
  Dual sin(const Dual& a) {  // (sin a)' = cos a a'
    return chain(ExpressionOp::sin, a, [&](std::uint32_t) { return emit(ExpressionOp::cos, a.value); });
  }
  Dual cos(const Dual& a) {  // (cos a)' = -sin a a'
    return chain(ExpressionOp::cos, a, [&](std::uint32_t) {
      return emit(ExpressionOp::negate, emit(ExpressionOp::sin, a.value));
    });
  }
  Dual abs(const Dual& a) {  // |a|' = a' or -a' by the sign of a (a' at 0)
    Dual r;
    r.value = emit(ExpressionOp::abs, a.value);
    for (std::size_t j = 0; j < kMaxFitParameters; ++j)
      if (a.d[j] != kZero) r.d[j] = slot(emit(ExpressionOp::negate_if_negative, a.value, step(a.d[j])));
    return r;
  }
  // a^n, n >= 2, by n - 1 products from the left; (a^n)' = (n a^(n-1)) a'.
  Dual power(const Dual& a, int n) {
    std::uint32_t previous = a.value, value = a.value;
    for (int i = 2; i <= n; ++i) {
      previous = value;
      value = emit(ExpressionOp::multiply, value, a.value);
    }
    Dual r;
    r.value = value;
    std::optional<std::uint32_t> factor;
    for (std::size_t j = 0; j < kMaxFitParameters; ++j) {
      if (a.d[j] == kZero) continue;
      if (!factor) {
        const auto count = static_cast<float>(n);
        factor = emit(ExpressionOp::multiply, constant(count, static_cast<double>(n)), previous);
      }
      r.d[j] = times(a.d[j], *factor);
    }
    return r;
  }

 private:
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint32_t> constants_;

  static std::int32_t slot(std::uint32_t s) { return static_cast<std::int32_t>(s); }
  static std::uint32_t step(std::int32_t s) { return static_cast<std::uint32_t>(s); }
  bool is_one(std::int32_t s) const {
    const auto& st = steps[step(s)];
    return st.op == ExpressionOp::constant && st.value_float == 1.0f && st.value_double == 1.0;
  }
  std::int32_t plus(std::int32_t a, std::int32_t b) {
    if (a == kZero) return b;
    if (b == kZero) return a;
    return slot(emit(ExpressionOp::add, step(a), step(b)));
  }
  std::int32_t minus(std::int32_t a, std::int32_t b) {
    if (b == kZero) return a;
    if (a == kZero) return slot(emit(ExpressionOp::negate, step(b)));
    return slot(emit(ExpressionOp::subtract, step(a), step(b)));
  }
  // A derivative times a value step; 1 x v is v exactly, so the product is skipped.
  std::int32_t times(std::int32_t d, std::uint32_t v) {
    if (d == kZero) return kZero;
    if (is_one(d)) return slot(v);
    return slot(emit(ExpressionOp::multiply, step(d), v));
  }
};

std::optional<int> small_integer(const Node& n) {
  if (n.kind != Kind::constant || n.value_double != std::floor(n.value_double) ||
      std::fabs(n.value_double) > kMaxRepeatedPower)
    return std::nullopt;
  return static_cast<int>(n.value_double);
}

// a^b: a literal integer exponent by products (negative: 1 / a^|n|), any other as e^(b ln a).
Dual power(Builder& builder, const std::vector<Dual>& lowered, const std::vector<Node>& nodes, const Node& node) {
  const Dual& base = lowered[node.a];
  const auto n = small_integer(nodes[node.b]);
  if (!n) return builder.exp(builder.multiply(lowered[node.b], builder.log(base)));
  if (*n == 0) return builder.constant_dual(1.0f, 1.0);
  const Dual positive = std::abs(*n) == 1 ? base : builder.power(base, std::abs(*n));
  return *n > 0 ? positive : builder.divide(builder.constant_dual(1.0f, 1.0), positive);
}

// Children precede their parents in `nodes` and the root comes last, so one pass in order lowers
// every node after its operands (no recursion: a long sum cannot exhaust the stack).
Dual lower(Builder& builder, const std::vector<Node>& nodes) {
  std::vector<Dual> lowered(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    const bool leaf = n.kind == Kind::x || n.kind == Kind::y || n.kind == Kind::parameter || n.kind == Kind::constant;
    const Dual& a = lowered[leaf ? i : n.a];
    const Dual& b = lowered[leaf ? i : n.b];
    Dual& r = lowered[i];
    switch (n.kind) {
      case Kind::x: r = builder.input(ExpressionOp::x); break;
      case Kind::y: r = builder.input(ExpressionOp::y); break;
      case Kind::parameter: r = builder.parameter(n.a); break;
      case Kind::constant: r = builder.constant_dual(n.value_float, n.value_double); break;
      case Kind::add: r = builder.add(a, b); break;
      case Kind::subtract: r = builder.subtract(a, b); break;
      case Kind::multiply: r = builder.multiply(a, b); break;
      case Kind::divide: r = builder.divide(a, b); break;
      case Kind::negate: r = builder.negate(a); break;
      case Kind::power: r = power(builder, lowered, nodes, n); break;
      case Kind::call:
        switch (n.function) {
          case Function::exp: r = builder.exp(a); break;
          case Function::log: r = builder.log(a); break;
          case Function::sqrt: r = builder.sqrt(a); break;
          case Function::inversesqrt: r = builder.inverse_sqrt(a); break;
          case Function::sin: r = builder.sin(a); break;
          case Function::cos: r = builder.cos(a); break;
          case Function::tan: r = builder.divide(builder.sin(a), builder.cos(a)); break;
          case Function::abs: r = builder.abs(a); break;
          case Function::pow: break;  // parsed as Kind::power
        }
        break;
    }
  }
  return lowered.back();
}

int operand_count(ExpressionOp op) {
  switch (op) {
    case ExpressionOp::x:
    case ExpressionOp::y:
    case ExpressionOp::parameter:
    case ExpressionOp::constant: return 0;
    case ExpressionOp::add:
    case ExpressionOp::subtract:
    case ExpressionOp::multiply:
    case ExpressionOp::divide:
    case ExpressionOp::negate_if_negative: return 2;
    default: return 1;
  }
}

}  // namespace

FitExpression::FitExpression(std::string_view text, std::uint32_t parameters) : text_(text) {
  if (text.size() > kMaxLength)
    fail("too long: " + std::to_string(text.size()) + " characters, at most " + std::to_string(kMaxLength));
  if (parameters > kMaxFitParameters)
    fail("at most " + std::to_string(kMaxFitParameters) + " parameters, not " + std::to_string(parameters));
  const Tree parser = parse(text);
  if (parser.parameter_columns.empty()) fail("no parameter p[i] appears");
  const std::uint32_t highest = parser.parameter_columns.rbegin()->first;
  if (parameters != 0 && highest >= parameters)
    fail(parameter_name(highest) + " at " + column(parser.parameter_columns.rbegin()->second) + " is beyond the " +
         std::to_string(parameters) + " parameters given");
  parameters_ = parameters != 0 ? parameters : highest + 1;
  dimensions_ = parser.uses_y ? 2 : 1;

  Builder builder;
  const Dual model = lower(builder, parser.nodes);
  for (std::uint32_t j = 0; j < parameters_; ++j)
    if (model.d[j] == kZero)
      fail(parameter_name(j) + (parser.parameter_columns.count(j) ? " does not change the model" : " does not appear") +
           "; every parameter p[0] to " + parameter_name(parameters_ - 1) + " must");

  // Keep the steps the value and the derivatives need (a literal exponent, for one, is not a
  // step of its own), in their order.
  std::vector<std::uint32_t> roots{model.value};
  for (std::uint32_t j = 0; j < parameters_; ++j) roots.push_back(static_cast<std::uint32_t>(model.d[j]));
  std::vector<bool> needed(builder.steps.size(), false);
  for (const auto r : roots) needed[r] = true;
  for (std::size_t i = builder.steps.size(); i-- > 0;) {
    if (!needed[i]) continue;
    const auto& s = builder.steps[i];
    if (operand_count(s.op) >= 1) needed[s.a] = true;
    if (operand_count(s.op) == 2) needed[s.b] = true;
  }
  std::vector<std::uint32_t> renumbered(builder.steps.size());
  for (std::size_t i = 0; i < builder.steps.size(); ++i) {
    if (!needed[i]) continue;
    ExpressionStep s = builder.steps[i];
    if (operand_count(s.op) >= 1) s.a = renumbered[s.a];
    if (operand_count(s.op) == 2) s.b = renumbered[s.b];
    renumbered[i] = static_cast<std::uint32_t>(steps_.size());
    steps_.push_back(s);
  }
  if (steps_.size() > kMaxSteps)
    fail("too large: " + std::to_string(steps_.size()) + " steps with the derivatives, at most " +
         std::to_string(kMaxSteps));
  value_ = renumbered[model.value];
  for (std::uint32_t j = 0; j < parameters_; ++j) derivatives_.push_back(renumbered[roots[1 + j]]);
}

// One case per ExpressionOp; algorithms/fit_expression.cpp writes the same operation in GLSL.
template <class T>
T FitExpression::evaluate(const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d, std::vector<T>& v) const {
  v.resize(steps_.size());
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const ExpressionStep& s = steps_[i];
    const T a = operand_count(s.op) >= 1 ? v[s.a] : T(0);
    const T b = operand_count(s.op) == 2 ? v[s.b] : T(0);
    T r = T(0);
    switch (s.op) {
      case ExpressionOp::x: r = x; break;
      case ExpressionOp::y: r = y; break;
      case ExpressionOp::parameter: r = p[s.a]; break;
      case ExpressionOp::constant:
        if constexpr (std::is_same_v<T, float>) r = s.value_float;
        else r = s.value_double;
        break;
      case ExpressionOp::add: r = fadd(a, b); break;
      case ExpressionOp::subtract: r = fsub(a, b); break;
      case ExpressionOp::multiply: r = fmul(a, b); break;
      case ExpressionOp::negate: r = fsub(T(0), a); break;
      case ExpressionOp::divide: r = flush(exact_div(a, b)); break;
      case ExpressionOp::reciprocal: r = fit_rcp(a); break;
      case ExpressionOp::exp: r = fit_exp(a); break;
      case ExpressionOp::log: r = fit_log(a); break;
      case ExpressionOp::sqrt: r = exact_sqrt(a); break;
      case ExpressionOp::inverse_sqrt: r = fit_rsqrt(a); break;
      case ExpressionOp::sin: r = fit_sincos(a).sin; break;
      case ExpressionOp::cos: r = fit_sincos(a).cos; break;
      case ExpressionOp::abs:
        if constexpr (std::is_same_v<T, float>) r = from_bits(to_bits(a) & 0x7fffffffu);
        else r = std::fabs(a);
        break;
      case ExpressionOp::negate_if_negative: r = a < T(0) ? fsub(T(0), b) : b; break;
    }
    v[i] = r;
  }
  for (std::uint32_t j = 0; j < parameters_; ++j) d[j] = v[derivatives_[j]];
  return v[value_];
}

template float FitExpression::evaluate(const ParameterArray<float>&, float, float, ParameterArray<float>&,
                                       std::vector<float>&) const;
template double FitExpression::evaluate(const ParameterArray<double>&, double, double, ParameterArray<double>&,
                                        std::vector<double>&) const;

}  // namespace vulkanite::reference
