#pragma once
// The NIST StRD nonlinear regression files (nist/*.dat under the shared data directory) as the
// fit tests read them: start vectors, certified values and deviations, and the data.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace vulkanite::tests {

struct NistProblem {
  std::vector<double> start1, start2, certified, deviation, x, y;
};

// NIST's format: "  b1 = start1 start2 certified deviation" lines, then "Data: y x" and pairs.
inline NistProblem read_nist(const std::filesystem::path& path) {
  std::ifstream in(path);
  NistProblem pr;
  const std::regex parameter(R"(^\s*b\d+\s*=\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+))");
  std::string line;
  bool data = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (data) {
      std::istringstream values(line);
      double y, x;
      if (values >> y >> x) {
        pr.y.push_back(y);
        pr.x.push_back(x);
      }
    } else if (std::regex_search(line, m, parameter)) {
      pr.start1.push_back(std::stod(m[1]));
      pr.start2.push_back(std::stod(m[2]));
      pr.certified.push_back(std::stod(m[3]));
      pr.deviation.push_back(std::stod(m[4]));
    } else if (line.rfind("Data:", 0) == 0 && line.find(" y ") != std::string::npos) {
      data = true;
    }
  }
  return pr;
}

}  // namespace vulkanite::tests
