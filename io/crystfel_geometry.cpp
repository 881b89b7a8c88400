#include "io/crystfel_geometry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/frame.hpp"

namespace vulkanite::io {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Errors carry file, line and key.
struct Where {
  const std::string& source;
  int line;
  const std::string& key;
  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(source + ": line " + std::to_string(line) + ": " + key + ": " + what);
  }
};

std::optional<double> parse_number(const std::string& s) {
  double v = 0.0;
  const char* first = s.data();
  const char* last = first + s.size();
  if (first != last && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return v;
}

double number(const std::string& value, const Where& w) {
  if (auto v = parse_number(value)) return *v;
  w.fail("not a number: '" + value + "'");
}

// "95.3 mm", "0.1", "0.1 m": lengths in metres.
double length_m(const std::string& value, const Where& w) {
  std::istringstream in(value);
  std::string num, unit;
  in >> num >> unit;
  const double v = number(num, w);
  if (unit.empty() || unit == "m") return v;
  if (unit == "mm") return v * 1e-3;
  if (unit == "cm") return v * 1e-2;
  w.fail("unknown length unit '" + unit + "' (m, cm, mm)");
}

std::size_t index(const std::string& value, const Where& w) {
  // Some files write indices as "514.0"; accept integral values only.
  const double v = number(value, w);
  if (v < 0 || v != std::floor(v) || v > 1e9) w.fail("not a pixel index: '" + value + "'");
  return static_cast<std::size_t>(v);
}

// "+0.0001x -1.0000y", "x", "-y", "0.5x+0.2z"
std::array<double, 3> direction(const std::string& value, const Where& w) {
  std::array<double, 3> v{0.0, 0.0, 0.0};
  std::string term;
  bool any = false;
  const auto flush = [&](char axis) {
    std::string coef = trim(term);
    coef.erase(std::remove_if(coef.begin(), coef.end(), [](unsigned char c) { return std::isspace(c); }), coef.end());
    double c = 1.0;
    if (coef == "+" || coef.empty()) c = 1.0;
    else if (coef == "-") c = -1.0;
    else if (auto n = parse_number(coef)) c = *n;
    else w.fail("cannot read vector '" + value + "'");
    v[static_cast<std::size_t>(axis - 'x')] += c;
    term.clear();
    any = true;
  };
  for (char ch : value) {
    if (ch == 'x' || ch == 'y' || ch == 'z') flush(ch);
    else term += ch;
  }
  if (!any || !trim(term).empty()) w.fail("cannot read vector '" + value + "'");
  return v;
}

std::uint32_t mask_bits(const std::string& value, const Where& w) {
  unsigned long v = 0;
  std::size_t used = 0;
  try {
    v = std::stoul(value, &used, 0);  // 0x... or decimal
  } catch (const std::exception&) {
    w.fail("not an integer: '" + value + "'");
  }
  if (used != value.size() || v > 0xffffffffUL) w.fail("not a 32-bit integer: '" + value + "'");
  return static_cast<std::uint32_t>(v);
}

// CrystFEL panel keys that do not change the geometry: kept verbatim in CrystfelPanel::other.
bool is_kept_key(const std::string& key) {
  static const char* const kKept[] = {"adu_per_eV", "adu_per_photon", "max_adu", "badrow_direction",
                                      "saturation_map", "saturation_map_file", "peak_sep", "clen_for_centering"};
  for (const char* k : kKept)
    if (key == k) return true;
  // flag_lessthan/morethan/equal and mask0_data .. mask7_badbits (CrystFEL 0.10 extra masks)
  return key.rfind("flag_", 0) == 0 || (key.size() > 5 && key.rfind("mask", 0) == 0 && std::isdigit(static_cast<unsigned char>(key[4])));
}

bool set_panel_key(CrystfelPanel& p, const std::string& key, const std::string& value, const Where& w,
                   std::map<std::string, std::string>& seen) {
  seen[key] = value;
  if (key == "min_fs") p.min_fs = index(value, w);
  else if (key == "max_fs") p.max_fs = index(value, w);
  else if (key == "min_ss") p.min_ss = index(value, w);
  else if (key == "max_ss") p.max_ss = index(value, w);
  else if (key == "corner_x") p.corner_x = number(value, w);
  else if (key == "corner_y") p.corner_y = number(value, w);
  else if (key == "fs") p.fs = direction(value, w);
  else if (key == "ss") p.ss = direction(value, w);
  else if (key == "res") p.res = number(value, w);
  else if (key == "coffset") p.coffset_m = length_m(value, w);
  else if (key == "clen") {
    if (!value.empty() && value[0] == '/') {
      p.clen_path = value;
      p.clen_m.reset();
    } else {
      p.clen_m = length_m(value, w);
      p.clen_path.clear();
    }
  } else if (key == "no_index") p.no_index = number(value, w) != 0.0;
  else if (key == "data") p.data = value;
  else if (key == "mask") p.mask = value;
  else if (key == "mask_file") p.mask_file = value;
  else if (key == "mask_good") p.mask_good = mask_bits(value, w);
  else if (key == "mask_bad") p.mask_bad = mask_bits(value, w);
  else if (key.rfind("dim", 0) == 0 && key.size() > 3 && std::isdigit(static_cast<unsigned char>(key[3]))) {
    const std::size_t d = static_cast<std::size_t>(index(key.substr(3), w));
    if (p.dims.size() <= d) p.dims.resize(d + 1);
    p.dims[d] = value;
  } else if (is_kept_key(key)) p.other[key] = value;
  else return false;
  return true;
}

void set_bad_key(CrystfelBadRegion& b, const std::string& key, const std::string& value, const Where& w) {
  if (key == "min_x") b.min_x = number(value, w), b.lab = true;
  else if (key == "max_x") b.max_x = number(value, w), b.lab = true;
  else if (key == "min_y") b.min_y = number(value, w), b.lab = true;
  else if (key == "max_y") b.max_y = number(value, w), b.lab = true;
  else if (key == "min_fs") b.min_fs = index(value, w);
  else if (key == "max_fs") b.max_fs = index(value, w);
  else if (key == "min_ss") b.min_ss = index(value, w);
  else if (key == "max_ss") b.max_ss = index(value, w);
  else if (key == "panel") b.panel = value;
  else w.fail("unknown bad-region key");
}

}  // namespace

CrystfelGeometry parse_crystfel_geometry(const std::string& text, const std::string& source) {
  CrystfelGeometry g;
  g.source = source;
  CrystfelPanel defaults;
  std::map<std::string, std::size_t> panel_index;
  std::map<std::string, std::size_t> bad_index;
  std::vector<std::map<std::string, std::string>> panel_keys;  // what each panel set itself
  std::map<std::string, std::string> default_keys;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    const std::string t = trim(raw.substr(0, raw.find(';')));
    if (t.empty()) continue;
    const auto eq = t.find('=');
    const std::string key_all = trim(t.substr(0, eq));
    if (eq == std::string::npos) {
      const std::string k = key_all;
      Where{source, line, k}.fail("expected 'key = value'");
    }
    const std::string value = trim(t.substr(eq + 1));
    const Where w{source, line, key_all};
    if (value.empty()) w.fail("no value");
    const auto slash = key_all.find('/');
    if (slash == std::string::npos) {
      const std::string& key = key_all;
      if (key.rfind("rigid_group", 0) == 0 || key.rfind("group_", 0) == 0) {
        g.notes.push_back(key + " ignored (rigid groups do not change the geometry)");
      } else if (key == "photon_energy") {
        std::istringstream v(value);
        std::string num, unit;
        v >> num >> unit;
        if (!num.empty() && num[0] == '/') g.photon_energy_path = num;
        else {
          double e = number(num, w);
          if (unit == "keV") e *= 1e3;
          else if (!unit.empty() && unit != "eV") w.fail("unknown energy unit '" + unit + "' (eV, keV)");
          g.photon_energy_eV = e;
        }
      } else if (key == "wavelength") {
        g.photon_energy_eV = 12398.419843320026 / (length_m(value, w) * 1e10);
      } else {
        std::map<std::string, std::string> ignored;
        if (set_panel_key(defaults, key, value, w, ignored)) default_keys[key] = value;
        else g.other[key] = value;
        if (is_kept_key(key)) g.other[key] = value;
      }
      continue;
    }
    const std::string owner = key_all.substr(0, slash);
    const std::string key = key_all.substr(slash + 1);
    if (owner.empty() || key.empty()) w.fail("expected 'panel/key'");
    if (owner.rfind("bad", 0) == 0) {
      auto [it, fresh] = bad_index.try_emplace(owner, g.bad_regions.size());
      if (fresh) g.bad_regions.push_back({owner.substr(owner.size() > 4 && owner[3] == '_' ? 4 : 3)});
      set_bad_key(g.bad_regions[it->second], key, value, w);
      continue;
    }
    auto [it, fresh] = panel_index.try_emplace(owner, g.panels.size());
    if (fresh) {
      g.panels.push_back(defaults);  // the global values seen so far
      g.panels.back().name = owner;
      panel_keys.push_back(default_keys);  // globals count as set
    }
    if (!set_panel_key(g.panels[it->second], key, value, w, panel_keys[it->second]))
      w.fail("unknown panel key");
  }

  if (g.panels.empty()) throw FormatError(source + ": no panels");
  for (std::size_t i = 0; i < g.panels.size(); ++i) {
    const auto& p = g.panels[i];
    for (const char* required : {"min_fs", "max_fs", "min_ss", "max_ss", "corner_x", "corner_y"})
      if (!panel_keys[i].count(required)) throw FormatError(source + ": panel " + p.name + ": missing " + required);
    if (p.max_fs < p.min_fs || p.max_ss < p.min_ss)
      throw FormatError(source + ": panel " + p.name + ": max_fs/max_ss below min_fs/min_ss");
    if (!(p.res > 0.0)) throw FormatError(source + ": panel " + p.name + ": no res (pixels per metre)");
  }
  for (const auto& b : g.bad_regions) {
    if (!b.panel.empty() && !panel_index.count(b.panel))
      throw FormatError(source + ": bad region " + b.name + ": unknown panel " + b.panel);
    if (!b.lab && (b.max_fs < b.min_fs || b.max_ss < b.min_ss))
      throw FormatError(source + ": bad region " + b.name + ": max below min");
  }
  return g;
}

CrystfelGeometry read_crystfel_geometry(const std::filesystem::path& path) {
  return parse_crystfel_geometry(read_whole_file(path), path.filename().string());
}

std::array<std::size_t, 2> CrystfelGeometry::slab_shape() const {
  std::array<std::size_t, 2> s{0, 0};
  for (const auto& p : panels) {
    s[0] = std::max(s[0], p.max_ss + 1);
    s[1] = std::max(s[1], p.max_fs + 1);
  }
  return s;
}

std::optional<double> CrystfelGeometry::wavelength_m() const {
  // lambda = h c / E; h c = 12398.419843320026 eV A (CODATA 2018).
  if (!photon_energy_eV || !(*photon_energy_eV > 0.0)) return std::nullopt;
  return 12398.419843320026e-10 / *photon_energy_eV;
}

CrystfelPixelMap crystfel_pixel_map(const CrystfelGeometry& g) {
  CrystfelPixelMap m;
  m.shape = g.slab_shape();
  const std::size_t n = m.shape[0] * m.shape[1];
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.x_m.assign(n, nan), m.y_m.assign(n, nan), m.z_m.assign(n, nan);
  m.x_px.assign(n, nan), m.y_px.assign(n, nan);
  m.panel.assign(n, -1);
  for (std::size_t k = 0; k < g.panels.size(); ++k) {
    const auto& p = g.panels[k];
    const double z0 = p.clen_m.value_or(0.0) + p.coffset_m;
    for (std::size_t ss = p.min_ss; ss <= p.max_ss; ++ss)
      for (std::size_t fs = p.min_fs; fs <= p.max_fs; ++fs) {
        const double f = static_cast<double>(fs - p.min_fs), s = static_cast<double>(ss - p.min_ss);
        const double x = p.corner_x + f * p.fs[0] + s * p.ss[0];
        const double y = p.corner_y + f * p.fs[1] + s * p.ss[1];
        const double z = f * p.fs[2] + s * p.ss[2];
        const std::size_t i = ss * m.shape[1] + fs;
        m.x_px[i] = x, m.y_px[i] = y;
        m.x_m[i] = x / p.res, m.y_m[i] = y / p.res, m.z_m[i] = z0 + z / p.res;
        m.panel[i] = static_cast<std::int32_t>(k);
      }
  }
  return m;
}

std::vector<double> crystfel_radius_map(const CrystfelGeometry& g, RadiusUnit unit) {
  const auto m = crystfel_pixel_map(g);
  std::vector<double> r(m.x_m.size());
  const auto& x = unit == RadiusUnit::pixels ? m.x_px : m.x_m;
  const auto& y = unit == RadiusUnit::pixels ? m.y_px : m.y_m;
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = std::sqrt(x[i] * x[i] + y[i] * y[i]);
  return r;
}

std::vector<std::uint8_t> crystfel_bad_pixel_mask(const CrystfelGeometry& g) {
  const auto m = crystfel_pixel_map(g);
  std::vector<std::uint8_t> bad(m.panel.size(), 0);
  for (std::size_t i = 0; i < bad.size(); ++i) bad[i] = m.panel[i] < 0 ? 1 : 0;
  for (const auto& b : g.bad_regions) {
    if (b.lab) {
      for (std::size_t i = 0; i < bad.size(); ++i)
        if (m.panel[i] >= 0 && m.x_px[i] >= b.min_x && m.x_px[i] <= b.max_x && m.y_px[i] >= b.min_y &&
            m.y_px[i] <= b.max_y)
          bad[i] = 1;
      continue;
    }
    for (std::size_t ss = b.min_ss; ss <= b.max_ss && ss < m.shape[0]; ++ss)
      for (std::size_t fs = b.min_fs; fs <= b.max_fs && fs < m.shape[1]; ++fs) {
        const std::size_t i = ss * m.shape[1] + fs;
        if (!b.panel.empty() && (m.panel[i] < 0 || g.panels[static_cast<std::size_t>(m.panel[i])].name != b.panel))
          continue;
        bad[i] = 1;
      }
  }
  return bad;
}

Peakfinder8Layout peakfinder8_layout(const CrystfelGeometry& g) {
  const auto fail = [&](const std::string& why) {
    throw std::invalid_argument(g.source + ": panels do not form a peakfinder8 grid: " + why);
  };
  Peakfinder8Layout l;
  l.asic_nx = g.panels.front().width();
  l.asic_ny = g.panels.front().height();
  const auto slab = g.slab_shape();
  if (slab[1] % l.asic_nx || slab[0] % l.asic_ny) fail("the slab is not a whole number of panels");
  l.nasics_x = slab[1] / l.asic_nx;
  l.nasics_y = slab[0] / l.asic_ny;
  std::set<std::pair<std::size_t, std::size_t>> cells;
  for (const auto& p : g.panels) {
    if (p.width() != l.asic_nx || p.height() != l.asic_ny)
      fail("panel " + p.name + " is " + std::to_string(p.width()) + " x " + std::to_string(p.height()) +
           ", not " + std::to_string(l.asic_nx) + " x " + std::to_string(l.asic_ny));
    if (p.min_fs % l.asic_nx || p.min_ss % l.asic_ny) fail("panel " + p.name + " is off the grid");
    if (!cells.insert({p.min_ss / l.asic_ny, p.min_fs / l.asic_nx}).second)
      fail("panel " + p.name + " overlaps another");
  }
  if (cells.size() != l.nasics_x * l.nasics_y) fail("the panels leave holes in the slab");
  return l;
}

}  // namespace vulkanite::io
