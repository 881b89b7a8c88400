#pragma once
// The GPU side of fit models given as expressions (reference/fit_expression.hpp): the GLSL twin
// of an expression's program, and shaders/fit/fit.comp compiled with it at run time.
// algorithms::Fitter uses these when FitSettings::expression is set.
#include "reference/fit_expression.hpp"
#include "runtime/shader_compiler.hpp"

#include <filesystem>
#include <string>

namespace vulkanite::algorithms {

// "fit/expression_model.glsl", which shaders/common/fit_models.glsl includes in place of the
// built-in models when VULKANITE_FIT_EXPRESSION is defined: kModelDimensions and
// evaluate_model(), one line per step of the program, each the GLSL twin of the operation
// FitExpression::evaluate performs for that step.
std::string fit_expression_glsl(const reference::FitExpression& expression);

// fit.comp with the expression's model, from its embedded sources; cached in cache_dir (empty:
// not cached) under a hash of the sources and glslang's version (runtime::compile_compute_shader).
// exact false: the fast mode's arithmetic (FitSettings::exact).
runtime::CompiledShader compile_fit_expression(const reference::FitExpression& expression,
                                               const std::filesystem::path& cache_dir, bool exact = true);

}  // namespace vulkanite::algorithms
