#include "vlm-session.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <algorithm>

#include "json-schema-to-grammar.h"
#include "llama-common.h"
#include "llama.h"
#include "mtmd-helper.h"
#include "mtmd.h"
#include "nlohmann/json.hpp"

namespace docsight {

namespace {

// Length of the longest prefix of s[0..n) that ends on a whole UTF-8 character.
size_t complete_utf8_prefix(const std::string &s, size_t n) {
  if (n == 0) return 0;
  size_t i = n - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80 && n - i < 4) i--;
  const unsigned char lead = static_cast<unsigned char>(s[i]);
  size_t need = 1;
  if ((lead & 0xE0) == 0xC0) need = 2;
  else if ((lead & 0xF0) == 0xE0) need = 3;
  else if ((lead & 0xF8) == 0xF0) need = 4;
  return n - i < need ? i : n;
}

// Length of the longest suffix of `text` that is a proper prefix of a stop string: that much must be
// held back, because the next token may complete the stop string.
size_t stop_prefix_overlap(const std::string &text, const std::vector<std::string> &stops) {
  size_t best = 0;
  for (const auto &s : stops) {
    for (size_t k = std::min(s.size() - 1, text.size()); k > best; k--) {
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        best = k;
        break;
      }
    }
  }
  return best;
}

}  // namespace

struct VlmSession::Impl {
  llama_model *model = nullptr;
  llama_context *ctx = nullptr;
  mtmd_context *mtmd = nullptr;
  const llama_vocab *vocab = nullptr;
  int n_batch = 512;
  int n_threads = 1;

  ~Impl() {
    if (mtmd) mtmd_free(mtmd);
    if (ctx) llama_free(ctx);
    if (model) llama_model_free(model);
  }

  void decode_or_throw(llama_batch batch, const char *what) {
    const int32_t rc = llama_decode(ctx, batch);
    if (rc == 2) throw Error("CANCELLED", std::string(what) + " was cancelled");
    if (rc != 0) throw Error("ENGINE_FAILED", std::string(what) + " failed (llama_decode returned " + std::to_string(rc) + ")");
  }
};

VlmSession::VlmSession(const LoadOptions &opts) : impl_(std::make_unique<Impl>()) {
  init_backend_once();
  const double t0 = now_ms();
  auto mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  mp.load_mode = opts.use_mmap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
  impl_->model = llama_model_load_from_file(opts.model_path.c_str(), mp);
  if (!impl_->model) throw Error("MODEL_INVALID", "llama.cpp could not load the model " + opts.model_path);
  impl_->vocab = llama_model_get_vocab(impl_->model);

  impl_->n_threads = opts.n_threads > 0 ? opts.n_threads : std::max(1u, std::thread::hardware_concurrency());
  impl_->n_batch = opts.n_batch;
  auto cp = llama_context_default_params();
  cp.n_ctx = opts.n_ctx;
  cp.n_batch = opts.n_batch;
  cp.n_ubatch = opts.n_batch;
  cp.n_seq_max = 1;
  cp.n_threads = impl_->n_threads;
  cp.n_threads_batch = impl_->n_threads;
  cp.no_perf = true;
  impl_->ctx = llama_init_from_model(impl_->model, cp);
  if (!impl_->ctx) throw Error("ENGINE_FAILED", "could not create a llama.cpp context (n_ctx=" + std::to_string(opts.n_ctx) + "; out of memory?)");
  llama_set_abort_callback(
      impl_->ctx, [](void *flag) { return static_cast<std::atomic<bool> *>(flag)->load(); }, &abort_);

  if (!opts.mmproj_path.empty()) {
    auto mp2 = mtmd_context_params_default();
    mp2.use_gpu = false;
    mp2.print_timings = false;
    mp2.warmup = false;  // the first real image pays for graph allocation; loading stays fast
    mp2.n_threads = impl_->n_threads;
    mp2.image_min_tokens = opts.image_min_tokens;
    mp2.image_max_tokens = opts.image_max_tokens;
    impl_->mtmd = mtmd_init_from_file(opts.mmproj_path.c_str(), impl_->model, mp2);
    if (!impl_->mtmd) throw Error("MODEL_INVALID", "mtmd could not load the vision projector " + opts.mmproj_path);
    if (!mtmd_support_vision(impl_->mtmd)) throw Error("MODEL_INVALID", opts.mmproj_path + " has no vision encoder");
  }
  load_ms_ = now_ms() - t0;
}

VlmSession::~VlmSession() = default;

std::string VlmSession::media_marker() { return mtmd_default_marker(); }
std::string VlmSession::system_info() {
  init_backend_once();
  return llama_print_system_info();
}
int VlmSession::n_ctx() const { return static_cast<int>(llama_n_ctx(impl_->ctx)); }
int VlmSession::cached_tokens() const {
  int n = 0;
  for (const auto &it : cached_) n += it.n_pos;
  return n;
}

std::string VlmSession::schema_to_grammar(const std::string &json_schema) {
  try {
    return json_schema_to_grammar(nlohmann::ordered_json::parse(json_schema), false);
  } catch (const std::exception &e) {
    throw Error("BAD_REQUEST", std::string("cannot turn the JSON schema into a grammar: ") + e.what());
  }
}

void VlmSession::clear_cache() {
  llama_memory_clear(llama_get_memory(impl_->ctx), true);
  cached_.clear();
}

GenerateResult VlmSession::generate(const GenerateOptions &opts, const PieceCallback &on_piece) {
  abort_.store(false);
  GenerateResult res;
  Impl &m = *impl_;

  // 1. Tokenize text and images into chunks, and flatten them into cache items.
  std::vector<Item> want;
  mtmd_input_chunks *chunks = nullptr;
  std::vector<mtmd_bitmap *> bitmaps;
  struct Cleanup {
    mtmd_input_chunks *&chunks;
    std::vector<mtmd_bitmap *> &bitmaps;
    ~Cleanup() {
      if (chunks) mtmd_input_chunks_free(chunks);
      for (auto *b : bitmaps) mtmd_bitmap_free(b);
    }
  } cleanup{chunks, bitmaps};

  std::vector<llama_token> text_only;
  if (m.mtmd) {
    for (const auto &img : opts.images) {
      if (img.width == 0 || img.height == 0 || img.rgb.size() != size_t(img.width) * img.height * 3)
        throw Error("BAD_REQUEST", "an image must be width*height*3 bytes of RGB");
      mtmd_bitmap *b = mtmd_bitmap_init(img.width, img.height, img.rgb.data());
      mtmd_bitmap_set_id(b, img.id.c_str());
      bitmaps.push_back(b);
    }
    chunks = mtmd_input_chunks_init();
    mtmd_input_text text{opts.prompt.c_str(), opts.prompt.size(), false, true};
    const int32_t rc = mtmd_tokenize(m.mtmd, chunks, &text, const_cast<const mtmd_bitmap **>(bitmaps.data()), bitmaps.size());
    if (rc == 1) throw Error("BAD_REQUEST", "the prompt has " + std::string("a different number of image markers than images (") + std::to_string(bitmaps.size()) + " images)");
    if (rc != 0) throw Error("ENGINE_FAILED", "image preprocessing failed (mtmd_tokenize returned " + std::to_string(rc) + ")");
    for (size_t i = 0; i < mtmd_input_chunks_size(chunks); i++) {
      const auto *ch = mtmd_input_chunks_get(chunks, i);
      if (mtmd_input_chunk_get_type(ch) == MTMD_INPUT_CHUNK_TYPE_TEXT) {
        size_t n = 0;
        const llama_token *toks = mtmd_input_chunk_get_tokens_text(ch, &n);
        for (size_t j = 0; j < n; j++) want.push_back(Item{false, toks[j], {}, 1});
      } else {
        const char *id = mtmd_input_chunk_get_id(ch);
        want.push_back(Item{true, -1, id ? id : "", static_cast<int32_t>(mtmd_input_chunk_get_n_pos(ch))});
        res.image_tokens += static_cast<int>(mtmd_input_chunk_get_n_tokens(ch));
      }
    }
  } else {
    if (!opts.images.empty()) throw Error("BAD_REQUEST", "this model was loaded without a vision projector (mmproj)");
    const int n = -llama_tokenize(m.vocab, opts.prompt.c_str(), opts.prompt.size(), nullptr, 0, false, true);
    text_only.resize(n);
    llama_tokenize(m.vocab, opts.prompt.c_str(), opts.prompt.size(), text_only.data(), n, false, true);
    for (auto t : text_only) want.push_back(Item{false, t, {}, 1});
  }
  if (want.empty()) throw Error("BAD_REQUEST", "the prompt is empty");
  res.prompt_items = static_cast<int>(want.size());
  for (const auto &it : want) res.prompt_tokens += it.n_pos;
  if (res.prompt_tokens + opts.max_tokens > n_ctx())
    throw Error("BAD_REQUEST", "prompt (" + std::to_string(res.prompt_tokens) + " positions) plus max tokens (" + std::to_string(opts.max_tokens) + ") exceed the context of " + std::to_string(n_ctx()) + "; shorten the prompt, lower the image budget or raise n_ctx");

  // 2. Reuse the longest common prefix of what is already in the KV cache.
  size_t keep = 0;
  while (keep < cached_.size() && keep < want.size()) {
    const Item &a = cached_[keep], &b = want[keep];
    if (a.image != b.image || a.token != b.token || a.image_id != b.image_id || a.n_pos != b.n_pos) break;
    keep++;
  }
  if (keep == want.size()) keep--;  // the last prompt item must be evaluated to get logits
  while (keep > 0 && want[keep - 1].image && keep == want.size()) keep--;
  llama_pos n_past = 0;
  for (size_t i = 0; i < keep; i++) n_past += cached_[i].n_pos;
  if (!llama_memory_seq_rm(llama_get_memory(m.ctx), 0, n_past, -1)) {
    clear_cache();
    keep = 0;
    n_past = 0;
  }
  cached_.resize(keep);
  res.reused_tokens = n_past;

  // 3. Evaluate the rest: text in batches, images through the vision encoder then the decoder.
  auto fail = [&](const Error &e) -> GenerateResult {
    clear_cache();  // the KV cache may hold a partial batch: start clean next time
    throw e;
  };
  const double t_prompt = now_ms();
  llama_batch batch = llama_batch_init(m.n_batch, 0, 1);
  struct BatchFree {
    llama_batch &b;
    ~BatchFree() { llama_batch_free(b); }
  } batch_free{batch};
  auto decode_text = [&](const std::vector<llama_token> &toks, size_t from, bool logits_at_end) {
    for (size_t i = from; i < toks.size();) {
      batch.n_tokens = 0;
      for (; i < toks.size() && batch.n_tokens < m.n_batch; i++) {
        const int j = batch.n_tokens++;
        batch.token[j] = toks[i];
        batch.pos[j] = n_past++;
        batch.n_seq_id[j] = 1;
        batch.seq_id[j][0] = 0;
        batch.logits[j] = false;
      }
      if (logits_at_end && i == toks.size()) batch.logits[batch.n_tokens - 1] = true;
      m.decode_or_throw(batch, "prompt evaluation");
      res.evaluated_tokens += batch.n_tokens;
    }
  };
  try {
    size_t item = 0;
    if (m.mtmd) {
      const size_t n_chunks = mtmd_input_chunks_size(chunks);
      for (size_t c = 0; c < n_chunks; c++) {
        const auto *ch = mtmd_input_chunks_get(chunks, c);
        const bool last = c + 1 == n_chunks;
        if (mtmd_input_chunk_get_type(ch) == MTMD_INPUT_CHUNK_TYPE_TEXT) {
          size_t n = 0;
          const llama_token *toks = mtmd_input_chunk_get_tokens_text(ch, &n);
          if (item + n > keep) {
            std::vector<llama_token> v(toks, toks + n);
            decode_text(v, keep > item ? keep - item : 0, last);
          }
          item += n;
        } else {
          if (item >= keep) {
            const double te = now_ms();
            if (mtmd_encode_chunk(m.mtmd, ch) != 0) throw Error("ENGINE_FAILED", "the vision encoder failed on an image");
            res.encode_ms += now_ms() - te;
            res.images_encoded++;
            llama_pos new_past = n_past;
            if (abort_.load()) throw Error("CANCELLED", "cancelled after encoding an image");
            const int32_t rc = mtmd_helper_decode_image_chunk(m.mtmd, m.ctx, ch, mtmd_get_output_embd(m.mtmd), n_past, 0, m.n_batch, &new_past, nullptr, nullptr);
            if (rc != 0) throw Error(abort_.load() ? "CANCELLED" : "ENGINE_FAILED", "decoding the image embeddings failed");
            n_past = new_past;
          }
          item += 1;
        }
        if (abort_.load()) throw Error("CANCELLED", "cancelled during prompt evaluation");
      }
    } else {
      decode_text(text_only, keep, true);
    }
  } catch (const Error &e) {
    return fail(e);
  }
  cached_ = want;
  res.prefill_ms = now_ms() - t_prompt - res.encode_ms;

  // 4. Sample token by token.
  auto sparams = llama_sampler_chain_default_params();
  sparams.no_perf = true;
  llama_sampler *chain = llama_sampler_chain_init(sparams);
  struct ChainFree {
    llama_sampler *s;
    ~ChainFree() { llama_sampler_free(s); }
  } chain_free{chain};
  if (!opts.grammar.empty()) {
    llama_sampler *g = llama_sampler_init_grammar(m.vocab, opts.grammar.c_str(), "root");
    if (!g) throw Error("BAD_REQUEST", "the grammar (or JSON schema) could not be parsed");
    llama_sampler_chain_add(chain, g);
  }
  if (opts.temperature <= 0) {
    llama_sampler_chain_add(chain, llama_sampler_init_greedy());
  } else {
    llama_sampler_chain_add(chain, llama_sampler_init_top_p(opts.top_p, 1));
    llama_sampler_chain_add(chain, llama_sampler_init_temp(opts.temperature));
    llama_sampler_chain_add(chain, llama_sampler_init_dist(opts.seed));
  }

  const double t_decode = now_ms();
  std::string pending;
  bool stopped = false;
  auto emit = [&](size_t n) {
    if (n == 0) return;
    std::string piece = pending.substr(0, n);
    pending.erase(0, n);
    res.text += piece;
    if (!on_piece(piece)) {
      res.stop_reason = "abort";
      stopped = true;
    }
  };
  char buf[256];
  try {
    for (int i = 0; i < opts.max_tokens && !stopped; i++) {
      if (abort_.load()) {
        res.stop_reason = "abort";
        break;
      }
      const llama_token tok = llama_sampler_sample(chain, m.ctx, -1);
      if (!opts.ignore_eos && llama_vocab_is_eog(m.vocab, tok)) {
        res.stop_reason = "eos";
        break;
      }
      res.generated_tokens++;
      const int n = llama_token_to_piece(m.vocab, tok, buf, sizeof buf, 0, false);
      if (n > 0) pending.append(buf, n);
      for (const auto &s : opts.stop) {
        const size_t at = s.empty() ? std::string::npos : pending.find(s);
        if (at != std::string::npos) {
          pending.resize(at);
          emit(pending.size());
          res.stop_reason = "stop";
          stopped = true;
          break;
        }
      }
      if (stopped) break;
      emit(complete_utf8_prefix(pending, pending.size() - stop_prefix_overlap(pending, opts.stop)));
      if (stopped || i + 1 == opts.max_tokens) break;  // no need to evaluate a token nobody reads
      batch.n_tokens = 1;
      batch.token[0] = tok;
      batch.pos[0] = n_past++;
      batch.n_seq_id[0] = 1;
      batch.seq_id[0][0] = 0;
      batch.logits[0] = true;
      m.decode_or_throw(batch, "decoding");
      cached_.push_back(Item{false, tok, {}, 1});
    }
  } catch (const Error &e) {
    if (e.code != "CANCELLED") return fail(e);
    // An abort during a decode leaves that token out of the cache; everything before stays valid.
    llama_memory_seq_rm(llama_get_memory(m.ctx), 0, n_past - 1, -1);
    res.stop_reason = "abort";
  }
  if (res.stop_reason.empty()) res.stop_reason = "length";
  if (!pending.empty() && res.stop_reason != "stop") {
    res.text += pending;
    on_piece(pending);
  }
  res.decode_ms = now_ms() - t_decode;
  return res;
}

size_t VlmSession::save_state(const std::string &path) {
  const size_t n = llama_state_seq_save_file(impl_->ctx, path.c_str(), 0, nullptr, 0);
  if (n == 0) throw Error("ENGINE_FAILED", "could not write the state to " + path);
  std::ofstream out(path + ".items", std::ios::trunc);
  out << "docsight-kv 1\n";
  for (const auto &it : cached_) {
    if (it.image) out << "I " << it.n_pos << ' ' << it.image_id << '\n';
    else out << "T " << it.token << '\n';
  }
  if (!out) throw Error("ENGINE_FAILED", "could not write " + path + ".items");
  return n;
}

size_t VlmSession::load_state(const std::string &path) {
  std::ifstream in(path + ".items");
  std::string line;
  if (!in || !std::getline(in, line) || line != "docsight-kv 1")
    throw Error("BAD_REQUEST", path + ".items is missing or not a DocSight state index");
  std::vector<Item> items;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    char kind = 0;
    ls >> kind;
    Item it;
    if (kind == 'T') {
      ls >> it.token;
    } else if (kind == 'I') {
      it.image = true;
      ls >> it.n_pos >> it.image_id;
    } else {
      throw Error("BAD_REQUEST", path + ".items has an unreadable line");
    }
    items.push_back(it);
  }
  clear_cache();
  size_t n_tokens = 0;
  const size_t n = llama_state_seq_load_file(impl_->ctx, path.c_str(), 0, nullptr, 0, &n_tokens);
  if (n == 0) throw Error("BAD_REQUEST", "could not load the state " + path + " (written by another model or context size?)");
  cached_ = std::move(items);
  return n;
}

}  // namespace docsight
