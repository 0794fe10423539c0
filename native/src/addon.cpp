// N-API face of VlmSession. Every call that touches the model runs on a libuv worker thread, so the
// JS thread never blocks; generated text comes back through a progress queue, one piece per token.
#include <napi.h>

#include <memory>
#include <mutex>

#include "embed-session.h"
#include "vlm-session.h"

namespace {

using docsight::VlmSession;

Napi::Error make_error(Napi::Env env, const std::string &code, const std::string &message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// A failure inside a worker: carries the engine's code to the JS side.
struct Failure {
  std::string code, message;
};

template <typename F>
bool run_guarded(Failure &f, F &&fn) {
  try {
    fn();
    return true;
  } catch (const docsight::Error &e) {
    f = {e.code, e.what()};
  } catch (const std::exception &e) {
    f = {"ENGINE_FAILED", e.what()};
  }
  return false;
}

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Session",
                       {InstanceMethod("load", &Session::Load), InstanceMethod("generate", &Session::Generate),
                        InstanceMethod("abort", &Session::Abort), InstanceMethod("clearCache", &Session::ClearCache),
                        InstanceMethod("saveState", &Session::SaveState), InstanceMethod("loadState", &Session::LoadState),
                        InstanceMethod("release", &Session::Release), InstanceMethod("info", &Session::Info)});
  }
  explicit Session(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Session>(info) {}

  std::shared_ptr<VlmSession> session;
  std::mutex busy;  // one model call at a time; JS callers queue in the worker process

 private:
  Napi::Value Load(const Napi::CallbackInfo &info);
  Napi::Value Generate(const Napi::CallbackInfo &info);
  Napi::Value SaveState(const Napi::CallbackInfo &info);
  Napi::Value LoadState(const Napi::CallbackInfo &info);
  Napi::Value Abort(const Napi::CallbackInfo &info) {
    if (session) session->request_abort();
    return info.Env().Undefined();
  }
  Napi::Value ClearCache(const Napi::CallbackInfo &info) {
    std::lock_guard<std::mutex> lock(busy);
    if (session) session->clear_cache();
    return info.Env().Undefined();
  }
  Napi::Value Release(const Napi::CallbackInfo &info) {
    std::lock_guard<std::mutex> lock(busy);
    session.reset();
    return info.Env().Undefined();
  }
  Napi::Value Info(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (session) {
      o.Set("nCtx", session->n_ctx());
      o.Set("cachedTokens", session->cached_tokens());
      o.Set("loadMs", session->load_ms());
    }
    return o;
  }
};

// Base for workers that settle a promise.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
  Failure failure;
  void OnError(const Napi::Error &) override {
    deferred.Reject(make_error(Env(), failure.code, failure.message).Value());
  }
};

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, Session *s, docsight::LoadOptions o) : PromiseWorker(env), s_(s), opts_(std::move(o)) {}
  void Execute() override {
    std::lock_guard<std::mutex> lock(s_->busy);
    if (!run_guarded(failure, [&] { s_->session = std::make_shared<VlmSession>(opts_); })) SetError(failure.message);
  }
  void OnOK() override {
    Napi::Object o = Napi::Object::New(Env());
    o.Set("loadMs", s_->session->load_ms());
    o.Set("nCtx", s_->session->n_ctx());
    deferred.Resolve(o);
  }

 private:
  Session *s_;
  docsight::LoadOptions opts_;
};

class StateWorker : public PromiseWorker {
 public:
  StateWorker(Napi::Env env, Session *s, std::string path, bool save) : PromiseWorker(env), s_(s), path_(std::move(path)), save_(save) {}
  void Execute() override {
    std::lock_guard<std::mutex> lock(s_->busy);
    if (!s_->session) {
      failure = {"ENGINE_FAILED", "the session is not loaded"};
      return SetError(failure.message);
    }
    if (!run_guarded(failure, [&] { bytes_ = save_ ? s_->session->save_state(path_) : s_->session->load_state(path_); }))
      SetError(failure.message);
  }
  void OnOK() override { deferred.Resolve(Napi::Number::New(Env(), static_cast<double>(bytes_))); }

 private:
  Session *s_;
  std::string path_;
  bool save_;
  size_t bytes_ = 0;
};

class GenerateWorker : public Napi::AsyncProgressQueueWorker<char> {
 public:
  GenerateWorker(Napi::Env env, Session *s, docsight::GenerateOptions o, Napi::Function on_piece)
      : Napi::AsyncProgressQueueWorker<char>(on_piece), deferred(Napi::Promise::Deferred::New(env)), s_(s), opts_(std::move(o)) {}
  Napi::Promise::Deferred deferred;

  void Execute(const ExecutionProgress &progress) override {
    std::lock_guard<std::mutex> lock(s_->busy);
    if (!s_->session) {
      failure_ = {"ENGINE_FAILED", "the session is not loaded"};
      return SetError(failure_.message);
    }
    if (!run_guarded(failure_, [&] {
          res_ = s_->session->generate(opts_, [&](const std::string &piece) {
            progress.Send(piece.data(), piece.size());
            return true;
          });
        }))
      SetError(failure_.message);
  }
  void OnProgress(const char *data, size_t count) override {
    Napi::HandleScope scope(Env());
    if (!Callback().IsEmpty()) Callback().Call(Receiver().Value(), {Napi::Buffer<char>::Copy(Env(), data, count)});
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("text", res_.text);
    o.Set("stopReason", res_.stop_reason);
    o.Set("promptItems", res_.prompt_items);
    o.Set("promptTokens", res_.prompt_tokens);
    o.Set("reusedTokens", res_.reused_tokens);
    o.Set("evaluatedTokens", res_.evaluated_tokens);
    o.Set("imagesEncoded", res_.images_encoded);
    o.Set("imageTokens", res_.image_tokens);
    o.Set("generatedTokens", res_.generated_tokens);
    o.Set("encodeMs", res_.encode_ms);
    o.Set("prefillMs", res_.prefill_ms);
    o.Set("decodeMs", res_.decode_ms);
    deferred.Resolve(o);
  }
  void OnError(const Napi::Error &) override { deferred.Reject(make_error(Env(), failure_.code, failure_.message).Value()); }

 private:
  Session *s_;
  docsight::GenerateOptions opts_;
  docsight::GenerateResult res_;
  Failure failure_;
};

std::string get_string(const Napi::Object &o, const char *key, const std::string &fallback = "") {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}
double get_number(const Napi::Object &o, const char *key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

Napi::Value Session::Load(const Napi::CallbackInfo &info) {
  Napi::Object o = info[0].As<Napi::Object>();
  docsight::LoadOptions opts;
  opts.model_path = get_string(o, "model");
  opts.mmproj_path = get_string(o, "mmproj");
  opts.n_ctx = static_cast<int>(get_number(o, "nCtx", 4096));
  opts.n_batch = static_cast<int>(get_number(o, "nBatch", 512));
  opts.n_threads = static_cast<int>(get_number(o, "threads", 0));
  opts.image_min_tokens = static_cast<int>(get_number(o, "imageMinTokens", -1));
  opts.image_max_tokens = static_cast<int>(get_number(o, "imageMaxTokens", -1));
  Napi::Value mm = o.Get("useMmap");
  if (mm.IsBoolean()) opts.use_mmap = mm.As<Napi::Boolean>().Value();
  auto *w = new LoadWorker(info.Env(), this, std::move(opts));
  w->Queue();
  return w->deferred.Promise();
}

Napi::Value Session::Generate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  docsight::GenerateOptions opts;
  opts.prompt = get_string(o, "prompt");
  opts.max_tokens = static_cast<int>(get_number(o, "maxTokens", 256));
  opts.temperature = static_cast<float>(get_number(o, "temperature", 0));
  opts.top_p = static_cast<float>(get_number(o, "topP", 1));
  opts.seed = static_cast<uint32_t>(get_number(o, "seed", 0));
  opts.grammar = get_string(o, "grammar");
  Napi::Value ie = o.Get("ignoreEos");
  opts.ignore_eos = ie.IsBoolean() && ie.As<Napi::Boolean>().Value();
  Napi::Value stop = o.Get("stop");
  if (stop.IsArray()) {
    Napi::Array a = stop.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) opts.stop.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  Napi::Value images = o.Get("images");
  if (images.IsArray()) {
    Napi::Array a = images.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object im = a.Get(i).As<Napi::Object>();
      docsight::ImageInput in;
      Napi::Buffer<uint8_t> rgb = im.Get("rgb").As<Napi::Buffer<uint8_t>>();
      in.rgb.assign(rgb.Data(), rgb.Data() + rgb.Length());
      in.width = static_cast<uint32_t>(get_number(im, "width", 0));
      in.height = static_cast<uint32_t>(get_number(im, "height", 0));
      in.id = get_string(im, "id");
      opts.images.push_back(std::move(in));
    }
  }
  Napi::Function cb = info[1].IsFunction() ? info[1].As<Napi::Function>() : Napi::Function::New(env, [](const Napi::CallbackInfo &) {});
  auto *w = new GenerateWorker(env, this, std::move(opts), cb);
  w->Queue();
  return w->deferred.Promise();
}

Napi::Value Session::SaveState(const Napi::CallbackInfo &info) {
  auto *w = new StateWorker(info.Env(), this, info[0].As<Napi::String>().Utf8Value(), true);
  w->Queue();
  return w->deferred.Promise();
}
Napi::Value Session::LoadState(const Napi::CallbackInfo &info) {
  auto *w = new StateWorker(info.Env(), this, info[0].As<Napi::String>().Utf8Value(), false);
  w->Queue();
  return w->deferred.Promise();
}

// N-API face of EmbedSession: load a text-embedding GGUF, embed texts into unit vectors. Like
// Session, every model call runs on a libuv worker thread.
class EmbedSession : public Napi::ObjectWrap<EmbedSession> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "EmbedSession",
                       {InstanceMethod("load", &EmbedSession::Load), InstanceMethod("embed", &EmbedSession::Embed),
                        InstanceMethod("abort", &EmbedSession::Abort), InstanceMethod("release", &EmbedSession::Release)});
  }
  explicit EmbedSession(const Napi::CallbackInfo &info) : Napi::ObjectWrap<EmbedSession>(info) {}

  std::shared_ptr<docsight::EmbedSession> session;
  std::mutex busy;

 private:
  Napi::Value Load(const Napi::CallbackInfo &info);
  Napi::Value Embed(const Napi::CallbackInfo &info);
  Napi::Value Abort(const Napi::CallbackInfo &info) {
    if (session) session->request_abort();
    return info.Env().Undefined();
  }
  Napi::Value Release(const Napi::CallbackInfo &info) {
    std::lock_guard<std::mutex> lock(busy);
    session.reset();
    return info.Env().Undefined();
  }
};

class EmbedLoadWorker : public PromiseWorker {
 public:
  EmbedLoadWorker(Napi::Env env, EmbedSession *s, docsight::EmbedLoadOptions o) : PromiseWorker(env), s_(s), opts_(std::move(o)) {}
  void Execute() override {
    std::lock_guard<std::mutex> lock(s_->busy);
    if (!run_guarded(failure, [&] { s_->session = std::make_shared<docsight::EmbedSession>(opts_); })) SetError(failure.message);
  }
  void OnOK() override {
    Napi::Object o = Napi::Object::New(Env());
    o.Set("loadMs", s_->session->load_ms());
    o.Set("nCtx", s_->session->n_ctx());
    o.Set("dimensions", s_->session->dimensions());
    o.Set("pooling", s_->session->pooling());
    o.Set("modelAddsEos", s_->session->model_adds_eos());
    o.Set("ownLastPooling", s_->session->own_last_pooling());
    o.Set("endToken", s_->session->end_token());
    deferred.Resolve(o);
  }

 private:
  EmbedSession *s_;
  docsight::EmbedLoadOptions opts_;
};

class EmbedWorker : public PromiseWorker {
 public:
  EmbedWorker(Napi::Env env, EmbedSession *s, std::vector<std::string> texts) : PromiseWorker(env), s_(s), texts_(std::move(texts)) {}
  void Execute() override {
    std::lock_guard<std::mutex> lock(s_->busy);
    if (!s_->session) {
      failure = {"ENGINE_FAILED", "the embedding model is not loaded"};
      return SetError(failure.message);
    }
    if (!run_guarded(failure, [&] { res_ = s_->session->embed(texts_); })) SetError(failure.message);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    Napi::Array vectors = Napi::Array::New(env, res_.vectors.size());
    Napi::Array counts = Napi::Array::New(env, res_.vectors.size());
    Napi::Array originals = Napi::Array::New(env, res_.vectors.size());
    for (size_t i = 0; i < res_.vectors.size(); i++) {
      const auto &v = res_.vectors[i];
      Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
      std::copy(v.begin(), v.end(), a.Data());
      vectors.Set(static_cast<uint32_t>(i), a);
      counts.Set(static_cast<uint32_t>(i), res_.token_counts[i]);
      originals.Set(static_cast<uint32_t>(i), res_.original_token_counts[i]);
    }
    o.Set("vectors", vectors);
    o.Set("tokenCounts", counts);
    o.Set("originalTokenCounts", originals);
    o.Set("totalTokens", res_.total_tokens);
    o.Set("embedMs", res_.embed_ms);
    deferred.Resolve(o);
  }

 private:
  EmbedSession *s_;
  std::vector<std::string> texts_;
  docsight::EmbedResult res_;
};

Napi::Value EmbedSession::Load(const Napi::CallbackInfo &info) {
  Napi::Object o = info[0].As<Napi::Object>();
  docsight::EmbedLoadOptions opts;
  opts.model_path = get_string(o, "model");
  opts.n_ctx = static_cast<int>(get_number(o, "nCtx", 2048));
  opts.n_batch = static_cast<int>(get_number(o, "nBatch", 256));
  opts.n_seq_max = static_cast<int>(get_number(o, "nSeqMax", 16));
  opts.n_threads = static_cast<int>(get_number(o, "threads", 0));
  Napi::Value mm = o.Get("useMmap");
  if (mm.IsBoolean()) opts.use_mmap = mm.As<Napi::Boolean>().Value();
  Napi::Value lp = o.Get("llamaPooling");
  if (lp.IsBoolean()) opts.own_last_pooling = !lp.As<Napi::Boolean>().Value();
  auto *w = new EmbedLoadWorker(info.Env(), this, std::move(opts));
  w->Queue();
  return w->deferred.Promise();
}

Napi::Value EmbedSession::Embed(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) {
    make_error(env, "BAD_REQUEST", "embed() takes an array of strings").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<std::string> texts;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    if (!v.IsString()) {
      make_error(env, "BAD_REQUEST", "embed() takes an array of strings").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    texts.push_back(v.As<Napi::String>().Utf8Value());
  }
  auto *w = new EmbedWorker(env, this, std::move(texts));
  w->Queue();
  return w->deferred.Promise();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", Session::Init(env));
  exports.Set("EmbedSession", EmbedSession::Init(env));
  exports.Set("systemInfo", Napi::Function::New(env, [](const Napi::CallbackInfo &info) {
                return Napi::String::New(info.Env(), VlmSession::system_info());
              }));
  exports.Set("mediaMarker", Napi::Function::New(env, [](const Napi::CallbackInfo &info) {
                return Napi::String::New(info.Env(), VlmSession::media_marker());
              }));
  exports.Set("schemaToGrammar", Napi::Function::New(env, [](const Napi::CallbackInfo &info) -> Napi::Value {
                try {
                  return Napi::String::New(info.Env(), VlmSession::schema_to_grammar(info[0].As<Napi::String>().Utf8Value()));
                } catch (const docsight::Error &e) {
                  make_error(info.Env(), e.code, e.what()).ThrowAsJavaScriptException();
                  return info.Env().Undefined();
                }
              }));
  return exports;
}

}  // namespace

NODE_API_MODULE(docsight_vlm, InitModule)
