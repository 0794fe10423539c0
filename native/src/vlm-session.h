// DocSight's vision-language session over llama.cpp + mtmd: load a text GGUF and its mmproj, evaluate a
// prompt that interleaves text and images, reuse the longest evaluated prefix from the previous call,
// sample token by token, save and restore the KV state. Shared by the N-API addon and the driver, so
// the benchmark's "native layer" column runs exactly these steps.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace docsight {

struct LoadOptions {
  std::string model_path;
  std::string mmproj_path;  // empty: text only
  int n_ctx = 4096;
  int n_batch = 512;
  int n_threads = 0;  // 0: all cores
  bool use_mmap = true;
  int image_min_tokens = -1;  // -1: from the mmproj's metadata
  int image_max_tokens = -1;
};

struct ImageInput {
  std::vector<uint8_t> rgb;  // width*height*3 bytes
  uint32_t width = 0, height = 0;
  std::string id;  // identity used for cache reuse (a content hash)
};

struct GenerateOptions {
  std::string prompt;  // formatted chat text; each image is the media marker in place
  std::vector<ImageInput> images;
  int max_tokens = 256;
  float temperature = 0.0f;  // <= 0: greedy
  float top_p = 1.0f;
  uint32_t seed = 0;
  std::vector<std::string> stop;
  std::string grammar;  // GBNF; empty: unconstrained
  bool ignore_eos = false;
};

struct GenerateResult {
  std::string text;
  std::string stop_reason;  // "eos" | "length" | "stop" | "abort"
  int prompt_items = 0;       // text tokens + image chunks in the prompt
  int prompt_tokens = 0;      // KV positions the prompt occupies
  int reused_tokens = 0;      // of those, taken from the cache
  int evaluated_tokens = 0;   // text tokens decoded for the prompt
  int images_encoded = 0;
  int image_tokens = 0;
  int generated_tokens = 0;
  double encode_ms = 0, prefill_ms = 0, decode_ms = 0;
};

// A piece of generated text (complete UTF-8). Return false to stop generating.
using PieceCallback = std::function<bool(const std::string &)>;

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string &msg) : std::runtime_error(msg), code(std::move(code)) {}
  std::string code;  // MODEL_INVALID | BAD_REQUEST | ENGINE_FAILED | CANCELLED
};

class VlmSession {
 public:
  explicit VlmSession(const LoadOptions &opts);  // throws Error
  ~VlmSession();
  VlmSession(const VlmSession &) = delete;
  VlmSession &operator=(const VlmSession &) = delete;

  GenerateResult generate(const GenerateOptions &opts, const PieceCallback &on_piece);
  void request_abort() { abort_.store(true); }
  void clear_cache();
  // Writes the KV state to `path` and the evaluated prefix (tokens and image ids) to `path`.items.
  size_t save_state(const std::string &path);
  // Restores both; a later generate() on the same prefix skips what the state covers.
  size_t load_state(const std::string &path);

  static std::string media_marker();
  static std::string system_info();
  static std::string schema_to_grammar(const std::string &json_schema);  // throws Error(BAD_REQUEST)
  double load_ms() const { return load_ms_; }
  int n_ctx() const;
  int cached_tokens() const;

 private:
  struct Item {  // one evaluated unit: a text token, or a whole image chunk
    bool image = false;
    int32_t token = -1;
    std::string image_id;
    int32_t n_pos = 1;
  };
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<Item> cached_;
  std::atomic<bool> abort_{false};
  double load_ms_ = 0;
};

}  // namespace docsight
