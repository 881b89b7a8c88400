// Uses the installed library and its embedded shaders: prints the reduced sum of 1..1000.
#include <algorithms/reduction.hpp>
#include <runtime/transfer.hpp>

#include <cstdio>
#include <numeric>
#include <vector>

int main() {
  using namespace vulkanite;
  runtime::Context context;
  std::vector<float> values(1000);
  std::iota(values.begin(), values.end(), 1.0f);
  runtime::Array<float> device_values(context, values.size());
  runtime::Transfer(context).upload(std::span<const float>(values), device_values);
  const algorithms::Reducer reducer(context, reference::Reduction::sum);
  std::printf("%.1f\n", reducer.run(context, device_values));
}
