// CBF metrology by evaluating the imgCIF axis chains from the CIF tables that libcbf parses.
// libcbf's cbf_construct_detector builds one detector per _diffrn_detector_element (the CSPAD's
// four quadrant arrays of 8 x 185 x 388), while each of the 64 ASIC sections has its own fast and
// slow axes; evaluating the chains directly places every section the same way and is checked
// against dxtbx in tests/io_cbf_metrology_test.cpp. (libcbf 0.9.7's cbf_get_array_section_* helpers were not used.)
//
// imgCIF axis semantics (the dxtbx JSON agrees to 2e-13 mm): a point x given in the frame of axis A
// moves to offset_A + M_A(x), where M_A rotates right-handedly by the axis' setting (degrees)
// about its vector through the origin, or translates by the setting (mm) along its vector; then
// A's depends_on axis does the same, up to an axis that depends on nothing. A panel's fast and
// slow axes are translations whose setting for pixel index k is displacement + k * increment
// (_array_structure_list_axis).
//
// Where that puts a pixel: dxtbx takes the point at index (0, 0) as the panel's origin, the
// outer corner of the first pixel, and puts pixel centres at index + 0.5. The shared dxtbx JSON
// confirms it (to 2e-13 mm): read as the first pixel's centre instead, every origin would be
// half a pixel (0.055 mm) off along fast and slow. This file follows dxtbx.
#include "io/cbf_metrology.hpp"

#include "io/cbf_handle.hpp"
#include "io/frame.hpp"

#include <cbf.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numbers>
#include <set>

namespace vulkanite::io {
namespace {

using Vec3 = std::array<double, 3>;

// The rows of one category as column -> value maps ("." and "?" kept verbatim); none when the
// file lacks the category.
using Row = std::map<std::string, std::string>;
std::vector<Row> rows_of(cbf_handle cbf, const char* category, const std::vector<const char*>& columns) {
  std::vector<Row> rows;
  unsigned count = 0;
  if (cbf_rewind_datablock(cbf) != 0 || cbf_find_category(cbf, category) != 0 || cbf_count_rows(cbf, &count) != 0)
    return rows;
  rows.resize(count);
  for (const char* column : columns) {
    if (cbf_find_column(cbf, column) != 0) continue;
    for (unsigned r = 0; r < count; ++r) {
      const char* value = nullptr;
      if (cbf_select_row(cbf, r) == 0 && cbf_get_value(cbf, &value) == 0 && value != nullptr)
        rows[r][column] = value;
    }
  }
  return rows;
}

std::string get(const Row& row, const char* column) {
  const auto it = row.find(column);
  return it == row.end() ? std::string() : it->second;
}

bool is_null(const std::string& value) { return value.empty() || value == "." || value == "?"; }

// A CIF number; "." / "?" / absent read as `fallback`.
double number(const Row& row, const char* column, double fallback, const std::string& where) {
  const auto text = get(row, column);
  if (is_null(text)) return fallback;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0')
    throw FormatError(where + ": " + column + " is not a number ('" + text + "')");
  return value;
}

struct Axis {
  bool rotation = false;
  Vec3 vector{}, offset{};
  std::string depends_on;  // empty at the root
  double setting = 0.0;    // degrees or mm, for this frame
};

Vec3 add(Vec3 a, const Vec3& b) {
  for (int k = 0; k < 3; ++k) a[k] += b[k];
  return a;
}
Vec3 scale(Vec3 a, double s) {
  for (auto& v : a) v *= s;
  return a;
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
Vec3 unit(const Vec3& a) { return scale(a, 1.0 / std::sqrt(dot(a, a))); }

// Rodrigues' formula: right-handed rotation of x by `degrees` about the unit vector u.
Vec3 rotate(const Vec3& x, const Vec3& u, double degrees) {
  const double t = degrees * std::numbers::pi / 180.0, c = std::cos(t), s = std::sin(t);
  return add(add(scale(x, c), scale(cross(u, x), s)), scale(u, dot(u, x) * (1.0 - c)));
}

class AxisTable {
 public:
  AxisTable(cbf_handle cbf, const std::string& name) : name_(name) {
    for (const auto& row : rows_of(cbf, "axis", {"id", "type", "depends_on", "vector[1]", "vector[2]", "vector[3]",
                                                "offset[1]", "offset[2]", "offset[3]"})) {
      const auto id = get(row, "id");
      const std::string where = name + ": axis " + id;
      if (is_null(id)) throw FormatError(name + ": _axis row without an id");
      Axis axis;
      const auto type = get(row, "type");
      if (type != "rotation" && type != "translation" && type != "general")
        throw FormatError(where + ": unknown _axis.type '" + type + "'");
      axis.rotation = type == "rotation";
      axis.vector = {number(row, "vector[1]", 0, where), number(row, "vector[2]", 0, where),
                     number(row, "vector[3]", 0, where)};
      if (dot(axis.vector, axis.vector) == 0.0) throw FormatError(where + ": zero _axis.vector");
      axis.vector = unit(axis.vector);
      axis.offset = {number(row, "offset[1]", 0, where), number(row, "offset[2]", 0, where),
                     number(row, "offset[3]", 0, where)};
      if (const auto parent = get(row, "depends_on"); !is_null(parent)) axis.depends_on = parent;
      axes_[id] = axis;
    }
    // The frame's settings; a file with one frame (as these are) may give them only as the
    // scan's start values.
    for (const auto& row : rows_of(cbf, "diffrn_scan_axis", {"axis_id", "angle_start", "displacement_start"}))
      set(row, "angle_start", "displacement_start");
    for (const auto& row : rows_of(cbf, "diffrn_scan_frame_axis", {"axis_id", "angle", "displacement"}))
      set(row, "angle", "displacement");
  }

  bool empty() const { return axes_.empty(); }

  const Axis& at(const std::string& id) const {
    const auto it = axes_.find(id);
    if (it == axes_.end()) throw FormatError(name_ + ": axis " + id + " is not in the _axis table");
    return it->second;
  }

  // The chain from `leaf` to the root, leaf first.
  std::vector<std::string> chain(const std::string& leaf) const {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (std::string id = leaf; !id.empty(); id = at(id).depends_on) {
      if (!seen.insert(id).second) throw FormatError(name_ + ": axis " + id + " depends on itself through its chain");
      ids.push_back(id);
    }
    return ids;
  }

  // Lab position of the point at the leaf's frame origin; `settings` replace the frame's own
  // (the panel's fast and slow axes at one pixel).
  Vec3 position(const std::vector<std::string>& chain, const std::map<std::string, double>& settings) const {
    Vec3 x{};
    for (const auto& id : chain) {
      const auto& axis = at(id);
      const auto it = settings.find(id);
      const double setting = it == settings.end() ? axis.setting : it->second;
      x = axis.rotation ? rotate(x, axis.vector, setting) : add(x, scale(axis.vector, setting));
      x = add(x, axis.offset);
    }
    return x;
  }

 private:
  void set(const Row& row, const char* angle, const char* displacement) {
    const auto id = get(row, "axis_id");
    const auto it = axes_.find(id);
    if (it == axes_.end()) return;
    const std::string where = name_ + ": setting of axis " + id;
    it->second.setting = it->second.rotation ? number(row, angle, 0, where) : number(row, displacement, 0, where);
  }

  std::string name_;
  std::map<std::string, Axis> axes_;
};

struct SectionAxis {
  std::string axis_id;
  double displacement = 0.0, increment = 0.0;
  std::size_t extent = 0;
};

}  // namespace

std::array<double, 3> panel_lab_mm(const PanelGeometry& panel, double fast_px, double slow_px) {
  Vec3 p = panel.origin_mm;
  p = add(p, scale(panel.fast_axis, fast_px * panel.pixel_size_fast_mm));
  return add(p, scale(panel.slow_axis, slow_px * panel.pixel_size_slow_mm));
}

std::vector<PanelGeometry> read_cbf_metrology(const std::filesystem::path& path) {
  const std::string name = path.string();
  const CbfFile cbf(path, MSG_NODIGEST);  // the CIF tables only: binary sections are not decoded

  const auto sections = rows_of(cbf, "array_structure_list_section", {"id", "index", "start", "end"});
  if (sections.empty()) return {};
  const AxisTable axes(cbf, name);
  if (axes.empty()) throw FormatError(name + ": no metrology (no _axis table)");

  // Section id -> its extent per index (1 fast, 2 slow), in file order.
  std::vector<std::string> order;
  std::map<std::string, std::map<int, std::size_t>> extents;
  for (const auto& row : sections) {
    const auto id = get(row, "id");
    const std::string where = name + ": section " + id;
    const double index = number(row, "index", 0, where), start = number(row, "start", 0, where),
                 end = number(row, "end", 0, where);
    if (start < 1 || end < start) throw FormatError(where + ": bad start/end " + get(row, "start") + ".." + get(row, "end"));
    if (!extents.contains(id)) order.push_back(id);
    extents[id][static_cast<int>(index)] = static_cast<std::size_t>(end - start + 1);
  }

  // Section id and index -> axis set; axis set -> axis, displacement, increment.
  std::map<std::string, std::map<int, std::string>> axis_sets;
  for (const auto& row : rows_of(cbf, "array_structure_list", {"array_section_id", "index", "axis_set_id"}))
    if (const auto section = get(row, "array_section_id"); !is_null(section))
      axis_sets[section][static_cast<int>(number(row, "index", 0, name + ": section " + section))] =
          get(row, "axis_set_id");
  std::map<std::string, Row> set_axes;
  for (const auto& row : rows_of(cbf, "array_structure_list_axis",
                                 {"axis_set_id", "axis_id", "displacement", "displacement_increment"}))
    set_axes[get(row, "axis_set_id")] = row;

  std::vector<PanelGeometry> panels;
  for (const auto& id : order) {
    const std::string where = name + ": section " + id;
    SectionAxis fast, slow;
    for (const int index : {1, 2}) {
      auto& out = index == 1 ? fast : slow;
      const auto set = axis_sets[id].find(index);
      if (set == axis_sets[id].end() || is_null(set->second))
        throw FormatError(where + ": no axis set for index " + std::to_string(index) + " in _array_structure_list");
      const auto axis = set_axes.find(set->second);
      if (axis == set_axes.end())
        throw FormatError(where + ": axis set " + set->second + " is not in _array_structure_list_axis");
      out.axis_id = get(axis->second, "axis_id");
      out.displacement = number(axis->second, "displacement", 0, where);
      out.increment = number(axis->second, "displacement_increment", 0, where);
      out.extent = extents[id][index];
      if (out.increment <= 0 || out.extent == 0)
        throw FormatError(where + ": axis " + out.axis_id + " has no pixel size or extent");
    }
    // Whichever of the two axes depends on the other is the leaf whose chain places the pixel.
    auto chain = axes.chain(fast.axis_id);
    const auto has = [&](const std::vector<std::string>& ids, const std::string& a) {
      return std::find(ids.begin(), ids.end(), a) != ids.end();
    };
    if (!has(chain, slow.axis_id)) chain = axes.chain(slow.axis_id);
    if (!has(chain, fast.axis_id))
      throw FormatError(where + ": neither of axes " + fast.axis_id + " and " + slow.axis_id + " depends on the other");

    const auto at = [&](double i, double j) {
      return axes.position(chain, {{fast.axis_id, fast.displacement + i * fast.increment},
                                   {slow.axis_id, slow.displacement + j * slow.increment}});
    };
    const Vec3 first = at(0, 0);
    PanelGeometry panel;
    panel.name = id;
    panel.fast_axis = unit(add(at(1, 0), scale(first, -1.0)));
    panel.slow_axis = unit(add(at(0, 1), scale(first, -1.0)));
    panel.pixel_size_fast_mm = fast.increment;
    panel.pixel_size_slow_mm = slow.increment;
    panel.size_fast = fast.extent;
    panel.size_slow = slow.extent;
    panel.origin_mm = first;
    panels.push_back(panel);
  }
  return panels;
}

}  // namespace vulkanite::io
