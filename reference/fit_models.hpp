#pragma once
// The built-in fit models: value and derivatives at one point, written once for float (the
// exact mode, twin of shaders/common/fit_models.glsl, operation for operation) and double (the
// accurate CPU mode). Parameter orders follow Gpufit's where Gpufit has the model; docs/fit.md
// lists them with their formulas.
#include "reference/fit_math.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vulkanite::reference {

// Parameters of one fit at most (the parameter mask is one 32-bit word).
inline constexpr std::uint32_t kMaxFitParameters = 32;
inline constexpr std::uint32_t kMaxOdmrDips = 8;

enum class FitModel : std::uint32_t {
  gauss1d = 0,            // A, x0, sigma, b
  gauss2d = 1,            // A, x0, y0, sigma, b
  gauss2d_elliptic = 2,   // A, x0, y0, sigma_x, sigma_y, b
  gauss2d_rotated = 3,    // A, x0, y0, sigma_x, sigma_y, b, theta
  cauchy2d_elliptic = 4,  // A, x0, y0, gamma_x, gamma_y, b
  linear1d = 5,           // b, slope
  exponential_decay = 6,  // A, tau, b
  odmr = 7,               // b, slope, then A_k, x0_k, gamma_k for each of 1..8 Lorentzian dips
};
inline constexpr std::uint32_t kFitModelCount = 8;

std::string_view model_name(FitModel model);
std::optional<FitModel> parse_model(std::string_view name);
// Throws std::invalid_argument for an unknown model or a dip count outside 1..8 (ODMR only).
std::uint32_t parameter_count(FitModel model, std::uint32_t dips = 1);
// Coordinates per point: 1 (x) or 2 (x, y).
std::uint32_t model_dimensions(FitModel model);

template <class T>
using ParameterArray = std::array<T, kMaxFitParameters>;

namespace fit_models {

using namespace fit_math;

// Each returns the model's value at (x, y) and writes its derivatives d[0..P-1]. Every rounding
// step is one call of fadd / fsub / fmul or a shared function; the shader makes the same calls.
template <class T>
T gauss1d(const ParameterArray<T>& p, T x, ParameterArray<T>& d) {
  const T dx = fsub(x, p[1]);
  const T inv_s2 = fit_rcp(fmul(p[2], p[2]));
  const T q = fmul(fmul(dx, dx), inv_s2);
  const T e = fit_exp(fmul(T(-0.5), q));
  const T g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, dx), inv_s2);
  d[2] = fmul(fmul(g, q), fit_rcp(p[2]));
  d[3] = T(1);
  return fadd(g, p[3]);
}

template <class T>
T gauss2d(const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d) {
  const T dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  const T inv_s2 = fit_rcp(fmul(p[3], p[3]));
  const T q = fmul(fadd(fmul(dx, dx), fmul(dy, dy)), inv_s2);
  const T e = fit_exp(fmul(T(-0.5), q));
  const T g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, dx), inv_s2);
  d[2] = fmul(fmul(g, dy), inv_s2);
  d[3] = fmul(fmul(g, q), fit_rcp(p[3]));
  d[4] = T(1);
  return fadd(g, p[4]);
}

template <class T>
T gauss2d_elliptic(const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d) {
  const T dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  const T inv_sx2 = fit_rcp(fmul(p[3], p[3])), inv_sy2 = fit_rcp(fmul(p[4], p[4]));
  const T qx = fmul(fmul(dx, dx), inv_sx2), qy = fmul(fmul(dy, dy), inv_sy2);
  const T e = fit_exp(fmul(T(-0.5), fadd(qx, qy)));
  const T g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, dx), inv_sx2);
  d[2] = fmul(fmul(g, dy), inv_sy2);
  d[3] = fmul(fmul(g, qx), fit_rcp(p[3]));
  d[4] = fmul(fmul(g, qy), fit_rcp(p[4]));
  d[5] = T(1);
  return fadd(g, p[5]);
}

// u, v: the point in the Gaussian's own axes, rotated by theta counter-clockwise.
template <class T>
T gauss2d_rotated(const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d) {
  const auto sc = fit_sincos(p[6]);
  const T dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  const T u = fadd(fmul(sc.cos, dx), fmul(sc.sin, dy));
  const T v = fsub(fmul(sc.cos, dy), fmul(sc.sin, dx));
  const T inv_sx2 = fit_rcp(fmul(p[3], p[3])), inv_sy2 = fit_rcp(fmul(p[4], p[4]));
  const T a = fmul(u, inv_sx2), b = fmul(v, inv_sy2);
  const T qu = fmul(a, u), qv = fmul(b, v);
  const T e = fit_exp(fmul(T(-0.5), fadd(qu, qv)));
  const T g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(g, fsub(fmul(a, sc.cos), fmul(b, sc.sin)));
  d[2] = fmul(g, fadd(fmul(a, sc.sin), fmul(b, sc.cos)));
  d[3] = fmul(fmul(g, qu), fit_rcp(p[3]));
  d[4] = fmul(fmul(g, qv), fit_rcp(p[4]));
  d[5] = T(1);
  d[6] = fmul(g, fsub(fmul(b, u), fmul(a, v)));
  return fadd(g, p[5]);
}

template <class T>
T cauchy2d_elliptic(const ParameterArray<T>& p, T x, T y, ParameterArray<T>& d) {
  const T dx = fsub(x, p[1]), dy = fsub(y, p[2]);
  const T inv_gx2 = fit_rcp(fmul(p[3], p[3])), inv_gy2 = fit_rcp(fmul(p[4], p[4]));
  const T tx = fmul(fmul(dx, dx), inv_gx2), ty = fmul(fmul(dy, dy), inv_gy2);
  const T cx = fit_rcp(fadd(T(1), tx)), cy = fit_rcp(fadd(T(1), ty));
  const T h = fmul(cx, cy);
  const T ah2 = fmul(fmul(p[0], h), T(2));  // 2 A h
  d[0] = h;
  d[1] = fmul(fmul(fmul(ah2, cx), dx), inv_gx2);
  d[2] = fmul(fmul(fmul(ah2, cy), dy), inv_gy2);
  d[3] = fmul(fmul(fmul(ah2, cx), tx), fit_rcp(p[3]));
  d[4] = fmul(fmul(fmul(ah2, cy), ty), fit_rcp(p[4]));
  d[5] = T(1);
  return fadd(fmul(p[0], h), p[5]);
}

template <class T>
T linear1d(const ParameterArray<T>& p, T x, ParameterArray<T>& d) {
  d[0] = T(1);
  d[1] = x;
  return fadd(p[0], fmul(p[1], x));
}

template <class T>
T exponential_decay(const ParameterArray<T>& p, T x, ParameterArray<T>& d) {
  const T inv_tau = fit_rcp(p[1]);
  const T xt = fmul(x, inv_tau);
  const T e = fit_exp(fsub(T(0), xt));
  const T g = fmul(p[0], e);
  d[0] = e;
  d[1] = fmul(fmul(g, xt), inv_tau);
  d[2] = T(1);
  return fadd(g, p[2]);
}

// b + slope x - sum_k A_k L_k with L_k = gamma_k^2 / ((x - x0_k)^2 + gamma_k^2), dips in order.
template <class T>
T odmr(const ParameterArray<T>& p, std::uint32_t dips, T x, ParameterArray<T>& d) {
  T f = fadd(p[0], fmul(p[1], x));
  d[0] = T(1);
  d[1] = x;
  for (std::uint32_t k = 0; k < dips; ++k) {
    const std::uint32_t j = 2 + 3 * k;
    const T a = p[j], dx = fsub(x, p[j + 1]), g = p[j + 2];
    const T g2 = fmul(g, g);
    const T r = fit_rcp(fadd(fmul(dx, dx), g2));
    const T l = fmul(g2, r);
    const T two_a_r = fmul(fmul(T(2), a), r);
    d[j] = fsub(T(0), l);
    d[j + 1] = fsub(T(0), fmul(fmul(two_a_r, dx), l));
    d[j + 2] = fsub(T(0), fmul(fmul(two_a_r, g), fsub(T(1), l)));
    f = fsub(f, fmul(a, l));
  }
  return f;
}

}  // namespace fit_models

// The model's value at point (x, y) (y unused by 1D models) and its derivatives in d[0..P-1].
template <class T>
T evaluate_model(FitModel model, std::uint32_t parameters, const ParameterArray<T>& p, T x, T y,
                 ParameterArray<T>& d) {
  switch (model) {
    case FitModel::gauss1d: return fit_models::gauss1d(p, x, d);
    case FitModel::gauss2d: return fit_models::gauss2d(p, x, y, d);
    case FitModel::gauss2d_elliptic: return fit_models::gauss2d_elliptic(p, x, y, d);
    case FitModel::gauss2d_rotated: return fit_models::gauss2d_rotated(p, x, y, d);
    case FitModel::cauchy2d_elliptic: return fit_models::cauchy2d_elliptic(p, x, y, d);
    case FitModel::linear1d: return fit_models::linear1d(p, x, d);
    case FitModel::exponential_decay: return fit_models::exponential_decay(p, x, d);
    case FitModel::odmr: return fit_models::odmr(p, (parameters - 2) / 3, x, d);
  }
  return T(0);
}

}  // namespace vulkanite::reference
