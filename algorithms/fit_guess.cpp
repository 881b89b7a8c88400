#include "algorithms/fit_guess.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace vulkanite::algorithms {
namespace {

struct Dip {
  double depth, x0, width;
};

// Where the smoothed depth `d` falls below `half` walking from i by `step` (+1 or -1): the
// crossing linearly interpolated between the last point above and the first below, or the
// spectrum's end.
double half_depth_crossing(std::span<const float> x, const std::vector<double>& d, std::size_t i, int step,
                           double half) {
  std::size_t j = i;
  while (true) {
    const bool at_end = step < 0 ? j == 0 : j + 1 == d.size();
    if (at_end) return x[j];
    const std::size_t next = step < 0 ? j - 1 : j + 1;
    if (d[next] <= half) {
      const double t = (d[j] - half) / (d[j] - d[next]);
      return x[j] + t * (static_cast<double>(x[next]) - x[j]);
    }
    j = next;
  }
}

}  // namespace

std::vector<float> guess_odmr(std::span<const float> x, std::span<const float> y, std::uint32_t dips) {
  const std::size_t m = x.size();
  if (y.size() != m || m < 6) throw std::invalid_argument("guess_odmr: x and y of the same length >= 6 needed");
  const std::size_t edge = std::max<std::size_t>(3, m / 20);
  double xl = 0, yl = 0, xr = 0, yr = 0;
  for (std::size_t i = 0; i < edge; ++i) {
    xl += x[i], yl += y[i];
    xr += x[m - 1 - i], yr += y[m - 1 - i];
  }
  xl /= static_cast<double>(edge), yl /= static_cast<double>(edge);
  xr /= static_cast<double>(edge), yr /= static_cast<double>(edge);
  const double slope = xr != xl ? (yr - yl) / (xr - xl) : 0.0;
  const double offset = yl - slope * xl;
  const double spacing = std::fabs(static_cast<double>(x[m - 1]) - x[0]) / static_cast<double>(m - 1);

  // Depth below the background, smoothed over 3 points so that one noisy point is not a dip.
  std::vector<double> raw(m), depth(m);
  for (std::size_t i = 0; i < m; ++i) raw[i] = offset + slope * x[i] - y[i];
  for (std::size_t i = 0; i < m; ++i) {
    const std::size_t lo = i == 0 ? 0 : i - 1, hi = std::min(m - 1, i + 1);
    double sum = 0;
    for (std::size_t j = lo; j <= hi; ++j) sum += raw[j];
    depth[i] = sum / static_cast<double>(hi - lo + 1);
  }

  std::vector<bool> taken(m, false);
  std::vector<Dip> found;
  for (std::uint32_t k = 0; k < dips; ++k) {
    std::size_t best = m;
    for (std::size_t i = 0; i < m; ++i)
      if (!taken[i] && (best == m || depth[i] > depth[best])) best = i;
    if (best == m)  // more dips than room: the deepest point again
      best = static_cast<std::size_t>(std::max_element(depth.begin(), depth.end()) - depth.begin());
    const double a = std::max(depth[best], 0.0);
    double width = spacing;
    if (a > 0) {
      const double left = half_depth_crossing(x, depth, best, -1, 0.5 * a);
      const double right = half_depth_crossing(x, depth, best, +1, 0.5 * a);
      width = std::max(0.5 * std::fabs(right - left), spacing);
    }
    found.push_back({a, x[best], width});
    const double exclusion = std::max(2.5 * width, 2.0 * spacing);
    for (std::size_t i = 0; i < m; ++i)
      if (std::fabs(static_cast<double>(x[i]) - x[best]) <= exclusion) taken[i] = true;
  }
  std::sort(found.begin(), found.end(), [](const Dip& a, const Dip& b) { return a.x0 < b.x0; });
  std::vector<float> p{static_cast<float>(offset), static_cast<float>(slope)};
  for (const auto& d : found)
    p.insert(p.end(), {static_cast<float>(d.depth), static_cast<float>(d.x0), static_cast<float>(d.width)});
  return p;
}

std::vector<float> guess_gauss2d(std::span<const float> data, std::size_t side) {
  if (side < 3 || data.size() != side * side) throw std::invalid_argument("guess_gauss2d: side x side points needed");
  std::vector<float> border;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const std::size_t i = k / side, j = k % side;
    if (i == 0 || j == 0 || i + 1 == side || j + 1 == side) border.push_back(data[k]);
  }
  std::nth_element(border.begin(), border.begin() + static_cast<std::ptrdiff_t>(border.size() / 2), border.end());
  const double b = border[border.size() / 2];
  double sum = 0, sx = 0, sy = 0, peak = b;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const double w = std::max(static_cast<double>(data[k]) - b, 0.0);
    sum += w, sx += w * static_cast<double>(k % side), sy += w * static_cast<double>(k / side);
    peak = std::max(peak, static_cast<double>(data[k]));
  }
  const double centre = 0.5 * static_cast<double>(side - 1);
  const double x0 = sum > 0 ? sx / sum : centre, y0 = sum > 0 ? sy / sum : centre;
  double s2 = 0;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const double w = std::max(static_cast<double>(data[k]) - b, 0.0);
    const double dx = static_cast<double>(k % side) - x0, dy = static_cast<double>(k / side) - y0;
    s2 += w * (dx * dx + dy * dy);
  }
  // A 2D Gaussian's second moment about its centre is 2 sigma^2.
  const double sigma = sum > 0 ? std::sqrt(s2 / (2.0 * sum)) : 1.0;
  return {static_cast<float>(peak - b), static_cast<float>(x0), static_cast<float>(y0),
          static_cast<float>(std::clamp(sigma, 0.5, 0.5 * static_cast<double>(side))), static_cast<float>(b)};
}

}  // namespace vulkanite::algorithms
