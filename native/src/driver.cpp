// docsight-vlm-driver: runs generate steps directly on VlmSession, with no Node.js in between. The
// benchmark sends the same steps to this driver and to the addon (through DocSight's worker process),
// alternating step by step, so the ratio of the two is the cost of everything above the native layer.
//
//   docsight-vlm-driver load.json  <  steps.jsonl  >  results.jsonl
//
// load.json:   {"model", "mmproj", "threads", "nCtx", "nBatch", "imageMaxTokens"}
// each step:   {"name", "prompt", "images": [{"ppm", "id"}], "maxTokens", "ignoreEos", "clearCache"}
// each result: one JSON line with the step's timings; a last line {"step": "end", "peakRssKb"} at EOF.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "nlohmann/json.hpp"
#include "vlm-session.h"

using nlohmann::json;

static docsight::ImageInput read_ppm(const std::string &path, const std::string &id) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int w = 0, h = 0, maxval = 0;
  in >> magic >> w >> h >> maxval;
  in.get();  // the single whitespace byte before the pixels
  if (!in || magic != "P6" || maxval != 255 || w <= 0 || h <= 0) throw std::runtime_error(path + ": not an 8-bit binary PPM (P6)");
  docsight::ImageInput img;
  img.width = w;
  img.height = h;
  img.id = id;
  img.rgb.resize(size_t(w) * h * 3);
  in.read(reinterpret_cast<char *>(img.rgb.data()), img.rgb.size());
  if (!in) throw std::runtime_error(path + ": truncated pixel data");
  return img;
}

// CPU time of the whole process (all threads), in ms: unlike wall time, it does not grow when other
// processes take the cores, so engine/native ratios stay meaningful on a shared machine.
static double process_cpu_ms() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static json run_step(docsight::VlmSession &session, const json &step) {
  const double cpu0 = process_cpu_ms();
  if (step.value("clearCache", false)) session.clear_cache();
  docsight::GenerateOptions go;
  go.prompt = step.at("prompt");
  go.max_tokens = step.value("maxTokens", 64);
  go.ignore_eos = step.value("ignoreEos", true);
  if (step.contains("images"))
    for (const auto &im : step["images"]) go.images.push_back(read_ppm(im.at("ppm"), im.value("id", "")));
  double first_ms = -1;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = session.generate(go, [&](const std::string &) {
    if (first_ms < 0) first_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return true;
  });
  const double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return json{{"step", step.value("name", "")},
              {"cpuMs", process_cpu_ms() - cpu0},
              {"totalMs", total},
              {"firstTextMs", first_ms},
              {"encodeMs", r.encode_ms},
              {"prefillMs", r.prefill_ms},
              {"decodeMs", r.decode_ms},
              {"promptTokens", r.prompt_tokens},
              {"reusedTokens", r.reused_tokens},
              {"evaluatedTokens", r.evaluated_tokens},
              {"imagesEncoded", r.images_encoded},
              {"imageTokens", r.image_tokens},
              {"generatedTokens", r.generated_tokens},
              {"stopReason", r.stop_reason}};
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: docsight-vlm-driver load.json < steps.jsonl\n");
    return 2;
  }
  try {
    std::ifstream f(argv[1]);
    const json cfg = json::parse(f);
    docsight::LoadOptions lo;
    lo.model_path = cfg.at("model");
    lo.mmproj_path = cfg.value("mmproj", "");
    lo.n_threads = cfg.value("threads", 0);
    lo.n_ctx = cfg.value("nCtx", 4096);
    lo.n_batch = cfg.value("nBatch", 512);
    lo.image_max_tokens = cfg.value("imageMaxTokens", -1);
    docsight::VlmSession session(lo);
    std::cout << json{{"step", "load"}, {"loadMs", session.load_ms()}}.dump() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.empty()) continue;
      try {
        std::cout << run_step(session, json::parse(line)).dump() << std::endl;
      } catch (const docsight::Error &e) {
        std::cout << json{{"error", e.code}, {"message", e.what()}}.dump() << std::endl;
      }
    }
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::cout << json{{"step", "end"}, {"peakRssKb", ru.ru_maxrss}}.dump() << std::endl;
  } catch (const docsight::Error &e) {
    fprintf(stderr, "docsight-vlm-driver: %s: %s\n", e.code.c_str(), e.what());
    return 1;
  } catch (const std::exception &e) {
    fprintf(stderr, "docsight-vlm-driver: %s\n", e.what());
    return 1;
  }
  return 0;
}
