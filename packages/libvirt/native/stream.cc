// Console streams: a non-blocking virStream driven by the shared event loop. Reads and writes
// happen on the event-loop thread inside the stream callback; JavaScript only flips interest
// (read wanted / write pending) and receives data, ends and errors through the dispatcher.
#include <mutex>

#include "common.h"
#include "helpers.h"

namespace drover {

struct StreamCtx {
  uint32_t id = 0;
  virStreamPtr st = nullptr;  // valid while the callback is registered
  std::mutex mu;
  bool wantRead = false;
  std::vector<char> out;
  size_t outOff = 0;
  bool outPending = false;
  bool finished = false;  // end or error already reported
  bool eof = false;
  bool callback = false;
  int mask = 0;
};

namespace {

std::atomic<uint32_t> g_nextStreamId{1};
constexpr int kIoEvents = VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

void PostStream(uint32_t id, const char* type) {
  std::string t(type);
  Post([id, t](Napi::Env env, Napi::Function fn) {
    Napi::Object ev = Napi::Object::New(env);
    ev.Set("kind", "stream");
    ev.Set("id", Napi::Number::New(env, id));
    ev.Set("type", t);
    fn.Call({ev});
  });
}

void PostData(uint32_t id, const char* buf, size_t n) {
  auto data = std::make_shared<std::vector<char>>(buf, buf + n);
  Post([id, data](Napi::Env env, Napi::Function fn) {
    Napi::Object ev = Napi::Object::New(env);
    ev.Set("kind", "stream");
    ev.Set("id", Napi::Number::New(env, id));
    ev.Set("type", "data");
    ev.Set("data", Napi::Buffer<char>::Copy(env, data->data(), data->size()));
    fn.Call({ev});
  });
}

void PostError(uint32_t id, const LvError& err) {
  Post([id, err](Napi::Env env, Napi::Function fn) {
    Napi::Object ev = Napi::Object::New(env);
    ev.Set("kind", "stream");
    ev.Set("id", Napi::Number::New(env, id));
    ev.Set("type", "error");
    ev.Set("error", ErrorToJs(env, err));
    fn.Call({ev});
  });
}

// Brings the registered interest in line with what the stream needs. Caller holds ctx.mu.
void UpdateMaskLocked(StreamCtx& ctx) {
  if (!ctx.callback || ctx.st == nullptr) return;
  int want = 0;
  if (!ctx.finished) {
    want = kIoEvents;
    if (ctx.wantRead) want |= VIR_STREAM_EVENT_READABLE;
    if (ctx.outPending) want |= VIR_STREAM_EVENT_WRITABLE;
  }
  if (want != ctx.mask) {
    if (virStreamEventUpdateCallback(ctx.st, want) == 0)
      ctx.mask = want;
    else
      virResetLastError();
  }
}

void Finish(StreamCtx& ctx, bool eof) {
  std::lock_guard<std::mutex> lock(ctx.mu);
  ctx.finished = true;
  ctx.eof = eof;
  UpdateMaskLocked(ctx);
}

void OnStreamEvent(virStreamPtr st, int events, void* opaque) {
  std::shared_ptr<StreamCtx> ctx = *static_cast<std::shared_ptr<StreamCtx>*>(opaque);
  {
    std::lock_guard<std::mutex> lock(ctx->mu);
    if (ctx->finished) return;
  }
  if (events & VIR_STREAM_EVENT_WRITABLE) {
    std::lock_guard<std::mutex> lock(ctx->mu);
    while (ctx->outPending) {
      int n = virStreamSend(st, ctx->out.data() + ctx->outOff, ctx->out.size() - ctx->outOff);
      if (n >= 0) {
        ctx->outOff += static_cast<size_t>(n);
        if (ctx->outOff >= ctx->out.size()) {
          ctx->outPending = false;
          ctx->out.clear();
          ctx->outOff = 0;
          PostStream(ctx->id, "written");
        }
      } else if (n == -2) {
        break;
      } else {
        LvError err = CaptureLastError("virStreamSend");
        ctx->outPending = false;
        ctx->finished = true;
        PostError(ctx->id, err);
        break;
      }
    }
    UpdateMaskLocked(*ctx);
  }
  if (events & VIR_STREAM_EVENT_READABLE) {
    char buf[65536];
    for (int i = 0; i < 16; i++) {
      {
        std::lock_guard<std::mutex> lock(ctx->mu);
        if (!ctx->wantRead || ctx->finished) break;
      }
      int n = virStreamRecv(st, buf, sizeof buf);
      if (n > 0) {
        PostData(ctx->id, buf, static_cast<size_t>(n));
      } else if (n == 0) {
        PostStream(ctx->id, "end");
        Finish(*ctx, true);
        return;
      } else if (n == -2) {
        break;
      } else {
        LvError err = CaptureLastError("virStreamRecv");
        PostError(ctx->id, err);
        Finish(*ctx, false);
        return;
      }
    }
  }
  if (events & VIR_STREAM_EVENT_HANGUP) {
    PostStream(ctx->id, "end");
    Finish(*ctx, true);
    return;
  }
  if (events & VIR_STREAM_EVENT_ERROR) {
    LvError err;
    err.code = VIR_ERR_RPC;
    err.domain = VIR_FROM_STREAMS;
    err.message = "console stream failed";
    PostError(ctx->id, err);
    Finish(*ctx, false);
  }
}

void FreeCtxBox(void* opaque) { delete static_cast<std::shared_ptr<StreamCtx>*>(opaque); }

Napi::Value OpenConsole(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Domain);
  bool hasDev = false;
  std::string dev = ArgOptString(info, 1, &hasDev);
  unsigned int flags = ArgFlags(info, 2);
  auto connState = h->conn;
  auto ref = RefDomain(h);
  return Run(info.Env(), "drover:libvirt:openConsole", [ref, connState, hasDev, dev, flags]() -> Builder {
    virStreamPtr st = virStreamNew(virDomainGetConnect(ref->p), VIR_STREAM_NONBLOCK);
    if (st == nullptr) Fail("virStreamNew");
    if (virDomainOpenConsole(ref->p, hasDev ? dev.c_str() : nullptr, st, flags) < 0) {
      LvError err = CaptureLastError("virDomainOpenConsole");
      virStreamFree(st);
      throw LvFailure{err};
    }
    auto ctx = std::make_shared<StreamCtx>();
    ctx->id = g_nextStreamId.fetch_add(1);
    ctx->st = st;
    // Registered with errors/hangup only; reading starts when JavaScript asks for data.
    if (virStreamEventAddCallback(st, kIoEvents, OnStreamEvent, new std::shared_ptr<StreamCtx>(ctx), FreeCtxBox) < 0) {
      LvError err = CaptureLastError("virStreamEventAddCallback");
      virStreamAbort(st);
      virStreamFree(st);
      throw LvFailure{err};
    }
    ctx->callback = true;
    ctx->mask = kIoEvents;
    return [ctx, connState](Napi::Env env) -> Napi::Value {
      auto sh = std::make_shared<Handle>();
      sh->kind = Kind::Stream;
      sh->ptr = ctx->st;
      sh->conn = connState;
      sh->stream = ctx;
      if (!connState->closed) AdoptChild(sh);
      HoldLoop();
      Napi::Object o = Napi::Object::New(env);
      o.Set("handle", WrapHandle(env, sh));
      o.Set("id", Napi::Number::New(env, ctx->id));
      if (connState->closed) Reap(DetachRelease(*sh));
      return o;
    };
  });
}

Napi::Value SetRead(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Stream);
  bool on = info[1].ToBoolean();
  std::lock_guard<std::mutex> lock(h->stream->mu);
  h->stream->wantRead = on;
  UpdateMaskLocked(*h->stream);
  return info.Env().Undefined();
}

Napi::Value Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  HandleRef h = GetHandle(info, 0, Kind::Stream);
  if (!info[1].IsBuffer()) throw Napi::TypeError::New(env, "data must be a Buffer");
  auto buf = info[1].As<Napi::Buffer<char>>();
  StreamCtx& ctx = *h->stream;
  std::lock_guard<std::mutex> lock(ctx.mu);
  if (ctx.finished) ThrowLv(env, VIR_ERR_INVALID_STREAM, VIR_FROM_STREAMS, "the console stream has ended");
  if (ctx.outPending) throw Napi::Error::New(env, "a write is already pending on this stream");
  ctx.out.assign(buf.Data(), buf.Data() + buf.Length());
  ctx.outOff = 0;
  ctx.outPending = !ctx.out.empty();
  UpdateMaskLocked(ctx);
  return Napi::Boolean::New(env, ctx.outPending);
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  HandleRef h = PeekHandle(info[0]);
  if (!h || h->kind != Kind::Stream) throw Napi::TypeError::New(info.Env(), "expected a stream handle");
  std::function<void()> release = DetachRelease(*h);
  return Run(info.Env(), "drover:libvirt:streamClose", [release]() -> Builder {
    if (release) release();
    return nullptr;
  });
}

}  // namespace

std::function<void()> StreamReleaseFn(const std::shared_ptr<StreamCtx>& ctx, virStreamPtr st) {
  ReleaseLoop();
  return [ctx, st]() {
    bool eof;
    {
      std::lock_guard<std::mutex> lock(ctx->mu);
      eof = ctx->eof;
      ctx->finished = true;
      if (ctx->callback) {
        virStreamEventRemoveCallback(st);
        ctx->callback = false;
      }
      ctx->st = nullptr;
    }
    if (eof)
      virStreamFinish(st);
    else
      virStreamAbort(st);
    virStreamFree(st);
    virResetLastError();
    CountDown(Kind::Stream);
  };
}

void InitStream(Napi::Env env, Napi::Object exports) {
  exports.Set("domOpenConsole", Napi::Function::New(env, OpenConsole, "domOpenConsole"));
  exports.Set("streamSetRead", Napi::Function::New(env, SetRead, "streamSetRead"));
  exports.Set("streamWrite", Napi::Function::New(env, Write, "streamWrite"));
  exports.Set("streamClose", Napi::Function::New(env, Close, "streamClose"));
}

}  // namespace drover
