#pragma once
// Panel metrology of a full CBF (imgCIF axis tables, as the LCLS CSPAD files carry it): each
// _array_structure_list_section is one panel, placed in the lab by evaluating its fast and slow
// axes' _axis.depends_on chain at the frame's axis settings. The lab frame is imgCIF's, which is
// also dxtbx's for CBF files; lengths are in mm as the CBF writes them.
#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace vulkanite::io {

struct PanelGeometry {
  std::string name;                     // the section id, "ARRAY_D0Q0S0A0"
  std::array<double, 3> origin_mm{};    // outer corner of pixel (0, 0), as dxtbx's panel origin
  std::array<double, 3> fast_axis{};    // unit vector along increasing fast index
  std::array<double, 3> slow_axis{};    // unit vector along increasing slow index
  double pixel_size_fast_mm = 0.0, pixel_size_slow_mm = 0.0;
  std::size_t size_fast = 0, size_slow = 0;  // pixels
};

// Panels in _array_structure_list_section order, which is the order io/cbf.cpp returns them in
// (the frame's {panels, slow, fast} shape) and dxtbx's panel order. None for a file without
// _array_structure_list_section (a miniCBF: one array, nothing to place). Throws FormatError
// naming the file and the problem when the file cannot be read or its metrology is incomplete
// or inconsistent (sections without an _axis table, axis sets or settings).
std::vector<PanelGeometry> read_cbf_metrology(const std::filesystem::path& path);

// Lab position (mm) of a point given in pixel coordinates of a panel: (0, 0) is the outer corner
// of the first pixel, so the centre of pixel (fast i, slow j) is at (i + 0.5, j + 0.5).
std::array<double, 3> panel_lab_mm(const PanelGeometry& panel, double fast_px, double slow_px);

}  // namespace vulkanite::io
