// The parser of fit expressions (reference/fit_expression.hpp) into a syntax tree.
//
// The parser is written by hand: no Debian library turns an expression into forward-mode
// dual-number code that can be emitted as both C++ and GLSL with the fit's own operations, and
// the grammar is small enough that a recursive descent with column-exact errors is the shortest
// correct thing. Grammar (^ binds tighter than unary minus and is right-associative):
//   expression := term (('+' | '-') term)*
//   term       := unary (('*' | '/') unary)*
//   unary      := ('-' | '+') unary | power
//   power      := primary ('^' unary)?
//   primary    := number | 'x' | 'y' | 'pi' | 'p' '[' digits ']' | name '(' arguments ')' | '(' expression ')'
#include "reference/fit_expression_syntax.hpp"

#include "reference/fit_math.hpp"
#include "reference/fit_models.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace vulkanite::reference::expression_syntax {
namespace {

using fit_math::flush;
using fit_math::fsub;

constexpr int kMaxDepth = 64;

constexpr std::array<std::pair<std::string_view, Function>, 9> kFunctions{{
    {"exp", Function::exp}, {"log", Function::log}, {"sqrt", Function::sqrt}, {"inversesqrt", Function::inversesqrt},
    {"sin", Function::sin}, {"cos", Function::cos}, {"tan", Function::tan}, {"abs", Function::abs},
    {"pow", Function::pow}}};
constexpr std::string_view kFunctionList = "exp, log, sqrt, inversesqrt, sin, cos, tan, abs, pow";

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::vector<Node> nodes;
  std::map<std::uint32_t, std::size_t> parameter_columns;  // index -> first position
  bool uses_y = false;

  void parse() {
    skip_space();
    if (at_end()) fail("empty expression");
    expression(0);
    if (!at_end()) {
      if (peek() == ')') fail("unbalanced parenthesis: ')' at " + column(pos_) + " has no '('");
      if (!known(peek())) fail("unexpected character " + found() + " at " + column(pos_));
      fail("expected an operator at " + column(pos_) + ", found " + found());
    }
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;

  bool at_end() const { return pos_ >= text_.size(); }
  static bool known(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("_.+-*/^()[],").find(c) != std::string_view::npos;
  }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }
  bool accept(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    skip_space();
    return true;
  }
  std::string found() const {
    if (at_end()) return "the end of the expression";
    const auto c = static_cast<unsigned char>(peek());
    if (c < 0x20 || c >= 0x7f) return "the byte " + std::to_string(c);
    return std::string("'").append(1, peek()).append("'");
  }
  std::uint32_t add(Node node) {
    nodes.push_back(node);
    return static_cast<std::uint32_t>(nodes.size() - 1);
  }

  std::uint32_t expression(int depth) {
    std::uint32_t left = term(depth);
    for (;;) {
      if (accept('+')) left = add({Kind::add, left, term(depth)});
      else if (accept('-')) left = add({Kind::subtract, left, term(depth)});
      else return left;
    }
  }

  std::uint32_t term(int depth) {
    std::uint32_t left = unary(depth);
    for (;;) {
      if (accept('*')) left = add({Kind::multiply, left, unary(depth)});
      else if (accept('/')) left = add({Kind::divide, left, unary(depth)});
      else return left;
    }
  }

  // Every cycle of the recursion passes here: the depth bound keeps the stack small.
  std::uint32_t unary(int depth) {
    if (depth >= kMaxDepth) fail("nested deeper than " + std::to_string(kMaxDepth) + " at " + column(pos_));
    if (accept('+')) return unary(depth + 1);
    if (accept('-')) {
      const std::uint32_t operand = unary(depth + 1);
      Node& n = nodes[operand];
      if (n.kind == Kind::constant) {  // a negative literal: exact, and x^-2 keeps a literal exponent
        n.value_float = fsub(0.0f, n.value_float);
        n.value_double = -n.value_double;
        return operand;
      }
      return add({Kind::negate, operand});
    }
    const std::uint32_t base = primary(depth + 1);
    if (accept('^')) return add({Kind::power, base, unary(depth + 1)});
    return base;
  }

  std::uint32_t primary(int depth) {
    const std::size_t start = pos_;
    if (accept('(')) {
      const std::uint32_t inner = expression(depth);
      if (!accept(')')) {
        if (at_end()) fail("unbalanced parenthesis: '(' at " + column(start) + " is not closed");
        fail("expected ')' or an operator at " + column(pos_) + ", found " + found());
      }
      return inner;
    }
    const char c = peek();
    if ((c >= '0' && c <= '9') || c == '.') return number();
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return name(depth);
    if (!at_end() && !known(c)) fail("unexpected character " + found() + " at " + column(pos_));
    fail("expected an operand at " + column(pos_) + ", found " + found());
  }

  std::uint32_t number() {
    const std::size_t start = pos_;
    while (!at_end() && ((peek() >= '0' && peek() <= '9') || peek() == '.')) ++pos_;
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      const std::size_t mark = pos_++;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (at_end() || peek() < '0' || peek() > '9') pos_ = mark;  // "2e" is 2 followed by a name
      while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
    }
    const std::string_view literal = text_.substr(start, pos_ - start);
    double d = 0;
    const auto r = std::from_chars(literal.data(), literal.data() + literal.size(), d);
    if (r.ec == std::errc::invalid_argument || r.ptr != literal.data() + literal.size())
      fail(std::string("'").append(literal).append("' at ") + column(start) + " is not a number");
    if (r.ec == std::errc::result_out_of_range || !std::isfinite(d))
      fail("the number " + std::string(literal) + " at " + column(start) + " is out of range");
    float f = 0;
    // Rounded once from the decimal text (not through double); below FLT_MIN it is 0 anyway.
    if (std::from_chars(literal.data(), literal.data() + literal.size(), f).ec == std::errc::result_out_of_range)
      f = d < 1 ? 0.0f : INFINITY;
    if (!std::isfinite(f))
      fail("the number " + std::string(literal) + " at " + column(start) + " is out of float range");
    skip_space();
    return add({.kind = Kind::constant, .value_float = flush(f), .value_double = d});
  }

  std::uint32_t name(int depth) {
    const std::size_t start = pos_;
    while (!at_end() && ((peek() >= 'a' && peek() <= 'z') || (peek() >= 'A' && peek() <= 'Z') || peek() == '_' ||
                         (peek() >= '0' && peek() <= '9')))
      ++pos_;
    const std::string word(text_.substr(start, pos_ - start));
    skip_space();
    if (word == "x") return add({Kind::x});
    if (word == "y") {
      uses_y = true;
      return add({Kind::y});
    }
    if (word == "pi")  // float: pi rounded once
      return add({.kind = Kind::constant, .value_float = 0x1.921fb6p+1f, .value_double = std::numbers::pi});
    if (word == "p") return parameter(start);
    for (const auto& [function_name, function] : kFunctions)
      if (word == function_name) return call(function, word, start, depth);
    if (peek() == '(')
      fail("unknown function '" + word + "' at " + column(start) + " (" + std::string(kFunctionList) + ")");
    fail("unknown name '" + word + "' at " + column(start) + " (x, y, pi, p[i] or a function call)");
  }

  std::uint32_t parameter(std::size_t start) {
    const std::string usage = "p at " + column(start) + " needs a literal index: p[0] to p[" +
                              std::to_string(kMaxFitParameters - 1) + "]";
    if (!accept('[')) fail(usage);
    const std::size_t digits = pos_;
    std::uint32_t index = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      index = std::min<std::uint32_t>(index * 10 + static_cast<std::uint32_t>(peek() - '0'), 1000);
      ++pos_;
    }
    if (pos_ == digits) fail(usage);
    skip_space();
    if (index >= kMaxFitParameters)
      fail("parameter index " + std::string(text_.substr(digits, pos_ - digits)) + " at " + column(digits) +
           ": at most " + std::to_string(kMaxFitParameters) + " parameters, p[0] to p[" +
           std::to_string(kMaxFitParameters - 1) + "]");
    if (!accept(']')) fail("expected ']' at " + column(pos_) + ", found " + found());
    parameter_columns.try_emplace(index, start);
    return add({.kind = Kind::parameter, .a = index});
  }

  std::uint32_t call(Function function, const std::string& word, std::size_t start, int depth) {
    const std::size_t open = pos_;
    if (!accept('(')) fail("function '" + word + "' at " + column(start) + " needs its arguments in parentheses");
    std::vector<std::uint32_t> arguments{expression(depth)};
    while (accept(',')) arguments.push_back(expression(depth));
    if (!accept(')')) {
      if (at_end()) fail("unbalanced parenthesis: '(' at " + column(open) + " is not closed");
      fail("expected ',' or ')' at " + column(pos_) + ", found " + found());
    }
    const std::size_t wanted = function == Function::pow ? 2 : 1;
    if (arguments.size() != wanted)
      fail("function '" + word + "' at " + column(start) + " takes " + std::to_string(wanted) + " argument" +
           (wanted == 1 ? "" : "s") + ", not " + std::to_string(arguments.size()));
    if (function == Function::pow) return add({Kind::power, arguments[0], arguments[1]});
    return add({.kind = Kind::call, .a = arguments[0], .function = function});
  }
};

}  // namespace

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument("expression: " + message); }
std::string column(std::size_t position) { return "column " + std::to_string(position + 1); }

Tree parse(std::string_view text) {
  Parser parser(text);
  parser.parse();
  return {std::move(parser.nodes), std::move(parser.parameter_columns), parser.uses_y};
}

}  // namespace vulkanite::reference::expression_syntax
