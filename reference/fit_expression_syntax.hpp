#pragma once
// The syntax tree of a fit expression (reference/fit_expression.hpp), as the parser leaves it
// for reference/fit_expression.cpp to differentiate. Internal to reference/.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vulkanite::reference::expression_syntax {

enum class Function { exp, log, sqrt, inversesqrt, sin, cos, tan, abs, pow };

enum class Kind { x, y, parameter, constant, add, subtract, multiply, divide, negate, power, call };

struct Node {
  Kind kind;
  std::uint32_t a = 0, b = 0;  // children; parameter: its index
  Function function = Function::exp;
  float value_float = 0;   // constant: rounded once from the decimal text, flushed
  double value_double = 0;
};

struct Tree {
  std::vector<Node> nodes;  // children before their parents, the root last
  std::map<std::uint32_t, std::size_t> parameter_columns;  // index -> first position
  bool uses_y = false;
};

// Throws std::invalid_argument "expression: PROBLEM at column N" (see FitExpression).
Tree parse(std::string_view text);

[[noreturn]] void fail(const std::string& message);
std::string column(std::size_t position);  // "column N", 1-based

}  // namespace vulkanite::reference::expression_syntax
