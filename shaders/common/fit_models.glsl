// The built-in fit models: value and derivatives at one point. Every rounding step is one call
// of fadd / fsub / fmul or a shared function of common/fit_math.glsl, in the order of the twin.
// Parameter orders: reference/fit_models.hpp and docs/fit.md.
//
// Needs, declared before the include: the constants kModel and kParameters.
// Defines kModelDimensions (coordinates per point) and evaluate_model(). With
// VULKANITE_FIT_EXPRESSION defined (a model given at run time, algorithms/fit_expression.cpp),
// both come from the generated "fit/expression_model.glsl" instead.
// Twin: reference/fit_models.hpp (reference::fit_models), operation for operation.
#ifndef VULKANITE_FIT_MODELS_GLSL
#define VULKANITE_FIT_MODELS_GLSL

#include "common/fit_math.glsl"

const uint kMaxParameters = 32u;  // reference::kMaxFitParameters

float model_gauss1d(float p[kMaxParameters], float x, out float d[kMaxParameters]) {
  float dx = fsub(x, p[1]);
  float inv_s2 = fit_rcp(fmul(p[2], p[2]));
  float q = fmul(fmul(dx, dx), inv_s2);
  float e = fit_exp(fmul(-0.5, q));
  float g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, dx), inv_s2);
  d[2] = fmul(fmul(g, q), fit_rcp(p[2]));
  d[3] = 1.0;
  return fadd(g, p[3]);
}

float model_gauss2d(float p[kMaxParameters], float x, float y, out float d[kMaxParameters]) {
  float dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  float inv_s2 = fit_rcp(fmul(p[3], p[3]));
  float q = fmul(fadd(fmul(dx, dx), fmul(dy, dy)), inv_s2);
  float e = fit_exp(fmul(-0.5, q));
  float g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, dx), inv_s2);
  d[2] = fmul(fmul(g, dy), inv_s2);
  d[3] = fmul(fmul(g, q), fit_rcp(p[3]));
  d[4] = 1.0;
  return fadd(g, p[4]);
}

float model_gauss2d_elliptic(float p[kMaxParameters], float x, float y, out float d[kMaxParameters]) {
  float dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  float inv_sx2 = fit_rcp(fmul(p[3], p[3])), inv_sy2 = fit_rcp(fmul(p[4], p[4]));
  float qx = fmul(fmul(dx, dx), inv_sx2), qy = fmul(fmul(dy, dy), inv_sy2);
  float e = fit_exp(fmul(-0.5, fadd(qx, qy)));
  float g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, dx), inv_sx2);
  d[2] = fmul(fmul(g, dy), inv_sy2);
  d[3] = fmul(fmul(g, qx), fit_rcp(p[3]));
  d[4] = fmul(fmul(g, qy), fit_rcp(p[4]));
  d[5] = 1.0;
  return fadd(g, p[5]);
}

float model_gauss2d_rotated(float p[kMaxParameters], float x, float y, out float d[kMaxParameters]) {
  vec2 sc = fit_sincos(p[6]);  // .x sin, .y cos
  float dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  float u = fadd(fmul(sc.y, dx), fmul(sc.x, dy));
  float v = fsub(fmul(sc.y, dy), fmul(sc.x, dx));
  float inv_sx2 = fit_rcp(fmul(p[3], p[3])), inv_sy2 = fit_rcp(fmul(p[4], p[4]));
  float a = fmul(u, inv_sx2), b = fmul(v, inv_sy2);
  float qu = fmul(a, u), qv = fmul(b, v);
  float e = fit_exp(fmul(-0.5, fadd(qu, qv)));
  float g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(g, fsub(fmul(a, sc.y), fmul(b, sc.x)));
  d[2] = fmul(g, fadd(fmul(a, sc.x), fmul(b, sc.y)));
  d[3] = fmul(fmul(g, qu), fit_rcp(p[3]));
  d[4] = fmul(fmul(g, qv), fit_rcp(p[4]));
  d[5] = 1.0;
  d[6] = fmul(g, fsub(fmul(b, u), fmul(a, v)));
  return fadd(g, p[5]);
}

float model_cauchy2d_elliptic(float p[kMaxParameters], float x, float y, out float d[kMaxParameters]) {
  float dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  float inv_gx2 = fit_rcp(fmul(p[3], p[3])), inv_gy2 = fit_rcp(fmul(p[4], p[4]));
  float tx = fmul(fmul(dx, dx), inv_gx2), ty = fmul(fmul(dy, dy), inv_gy2);
  float cx = fit_rcp(fadd(1.0, tx)), cy = fit_rcp(fadd(1.0, ty));
  float h = fmul(cx, cy);
  float ah2 = fmul(fmul(p[0], h), 2.0);
  d[0] = h;
  d[1] = fmul(fmul(fmul(ah2, cx), dx), inv_gx2);
  d[2] = fmul(fmul(fmul(ah2, cy), dy), inv_gy2);
  d[3] = fmul(fmul(fmul(ah2, cx), tx), fit_rcp(p[3]));
  d[4] = fmul(fmul(fmul(ah2, cy), ty), fit_rcp(p[4]));
  d[5] = 1.0;
  return fadd(fmul(p[0], h), p[5]);
}

float model_linear1d(float p[kMaxParameters], float x, out float d[kMaxParameters]) {
  d[0] = 1.0;
  d[1] = x;
  return fadd(p[0], fmul(p[1], x));
}

float model_exponential_decay(float p[kMaxParameters], float x, out float d[kMaxParameters]) {
  float inv_tau = fit_rcp(p[1]);
  float xt = fmul(x, inv_tau);
  float e = fit_exp(fsub(0.0, xt));
  float g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, xt), inv_tau);
  d[2] = 1.0;
  return fadd(g, p[2]);
}

float model_odmr(float p[kMaxParameters], float x, out float d[kMaxParameters]) {
  float f = fadd(p[0], fmul(p[1], x));
  d[0] = 1.0;
  d[1] = x;
  for (uint k = 0u; k < (kParameters - 2u) / 3u; ++k) {
    uint j = 2u + 3u * k;
    float a = p[j], dx = fsub(x, p[j + 1u]), g = p[j + 2u];
    float g2 = fmul(g, g);
    float r = fit_rcp(fadd(fmul(dx, dx), g2));
    float l = fmul(g2, r);
    float two_a_r = fmul(fmul(2.0, a), r);
    d[j] = fsub(0.0, l);
    d[j + 1u] = fsub(0.0, fmul(fmul(two_a_r, dx), l));
    d[j + 2u] = fsub(0.0, fmul(fmul(two_a_r, g), fsub(1.0, l)));
    f = fsub(f, fmul(a, l));
  }
  return f;
}

#ifdef VULKANITE_FIT_EXPRESSION
#include "fit/expression_model.glsl"
#else
const uint kModelDimensions = (kModel >= 1u && kModel <= 4u) ? 2u : 1u;  // reference::model_dimensions

// kModel is a specialization constant: the driver keeps one branch.
float evaluate_model(float p[kMaxParameters], float x, float y, out float d[kMaxParameters]) {
  if (kModel == 0u) return model_gauss1d(p, x, d);
  if (kModel == 1u) return model_gauss2d(p, x, y, d);
  if (kModel == 2u) return model_gauss2d_elliptic(p, x, y, d);
  if (kModel == 3u) return model_gauss2d_rotated(p, x, y, d);
  if (kModel == 4u) return model_cauchy2d_elliptic(p, x, y, d);
  if (kModel == 5u) return model_linear1d(p, x, d);
  if (kModel == 6u) return model_exponential_decay(p, x, d);
  return model_odmr(p, x, d);
}
#endif

#endif
