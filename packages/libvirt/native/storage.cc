// Storage pools and volumes.
#include "common.h"
#include "helpers.h"

namespace drover {

namespace {

// ---- pools through a connection -------------------------------------------------------------

Napi::Value PoolListAll(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Connection);
  unsigned int flags = ArgFlags(info, 1);
  auto st = h->conn;
  auto ref = RefConn(h);
  return Run(info.Env(), "drover:libvirt:poolListAll", [ref, st, flags]() -> Builder {
    virStoragePoolPtr* pools = nullptr;
    int n = virConnectListAllStoragePools(ref->p, &pools, flags);
    if (n < 0) Fail("virConnectListAllStoragePools");
    auto box = std::make_shared<Children>();
    for (int i = 0; i < n; i++) box->items.push_back(PoolChild(pools[i]));
    free(pools);
    return ManyChildren(st, box);
  });
}

enum class PoolGet { Name, Uuid, TargetPath, Define, Create };

Napi::Value PoolGetImpl(const Napi::CallbackInfo& info, PoolGet how) {
  HandleRef h = GetHandle(info, 0, Kind::Connection);
  std::string text = ArgString(info, 1, how == PoolGet::Define || how == PoolGet::Create ? "xml" : "name");
  unsigned int flags = ArgFlags(info, 2);
  auto st = h->conn;
  auto ref = RefConn(h);
  return Run(info.Env(), "drover:libvirt:poolLookup", [ref, st, how, text, flags]() -> Builder {
    virStoragePoolPtr p = nullptr;
    switch (how) {
      case PoolGet::Name: p = virStoragePoolLookupByName(ref->p, text.c_str()); break;
      case PoolGet::Uuid: p = virStoragePoolLookupByUUIDString(ref->p, text.c_str()); break;
      case PoolGet::TargetPath: p = virStoragePoolLookupByTargetPath(ref->p, text.c_str()); break;
      case PoolGet::Define: p = virStoragePoolDefineXML(ref->p, text.c_str(), flags); break;
      case PoolGet::Create: p = virStoragePoolCreateXML(ref->p, text.c_str(), flags); break;
    }
    if (p == nullptr) Fail("storage pool lookup");
    return OneChild(st, PoolChild(p));
  });
}

Napi::Value PoolLookupByName(const Napi::CallbackInfo& info) { return PoolGetImpl(info, PoolGet::Name); }
Napi::Value PoolLookupByUUID(const Napi::CallbackInfo& info) { return PoolGetImpl(info, PoolGet::Uuid); }
Napi::Value PoolLookupByTargetPath(const Napi::CallbackInfo& info) { return PoolGetImpl(info, PoolGet::TargetPath); }
Napi::Value PoolDefineXML(const Napi::CallbackInfo& info) { return PoolGetImpl(info, PoolGet::Define); }
Napi::Value PoolCreateXML(const Napi::CallbackInfo& info) { return PoolGetImpl(info, PoolGet::Create); }

// ---- simple pool calls ----------------------------------------------------------------------

struct PoolSimple {
  const char* exportName;
  const char* what;
  int (*fn)(virStoragePoolPtr, unsigned int);
};

int DoPoolDestroy(virStoragePoolPtr p, unsigned int) { return virStoragePoolDestroy(p); }
int DoPoolUndefine(virStoragePoolPtr p, unsigned int) { return virStoragePoolUndefine(p); }
int DoPoolIsActive(virStoragePoolPtr p, unsigned int) { return virStoragePoolIsActive(p); }
int DoPoolIsPersistent(virStoragePoolPtr p, unsigned int) { return virStoragePoolIsPersistent(p); }

const PoolSimple kPoolSimple[] = {
    {"poolBuild", "virStoragePoolBuild", virStoragePoolBuild},
    {"poolCreate", "virStoragePoolCreate", virStoragePoolCreate},
    {"poolRefresh", "virStoragePoolRefresh", virStoragePoolRefresh},
    {"poolDestroy", "virStoragePoolDestroy", DoPoolDestroy},
    {"poolDelete", "virStoragePoolDelete", virStoragePoolDelete},
    {"poolUndefine", "virStoragePoolUndefine", DoPoolUndefine},
    {"poolIsActive", "virStoragePoolIsActive", DoPoolIsActive},
    {"poolIsPersistent", "virStoragePoolIsPersistent", DoPoolIsPersistent},
};

Napi::Value PoolSimpleCall(const Napi::CallbackInfo& info) {
  const PoolSimple* call = static_cast<const PoolSimple*>(info.Data());
  unsigned int flags = ArgFlags(info, 1);
  return PoolCall(info, call->what, [call, flags](virStoragePoolPtr p) -> Builder {
    int r = call->fn(p, flags);
    if (r < 0) Fail(call->what);
    return Num(r);
  });
}

Napi::Value PoolInfo(const Napi::CallbackInfo& info) {
  return PoolCall(info, "drover:libvirt:poolInfo", [](virStoragePoolPtr p) -> Builder {
    virStoragePoolInfo pi;
    if (virStoragePoolGetInfo(p, &pi) < 0) Fail("virStoragePoolGetInfo");
    return [pi](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("state", Napi::Number::New(env, pi.state));
      o.Set("capacity", Napi::Number::New(env, static_cast<double>(pi.capacity)));
      o.Set("allocation", Napi::Number::New(env, static_cast<double>(pi.allocation)));
      o.Set("available", Napi::Number::New(env, static_cast<double>(pi.available)));
      return o;
    };
  });
}

Napi::Value PoolGetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 1);
  return PoolCall(info, "drover:libvirt:poolGetXMLDesc", [flags](virStoragePoolPtr p) -> Builder {
    return Str(TakeString(virStoragePoolGetXMLDesc(p, flags), "virStoragePoolGetXMLDesc"));
  });
}

Napi::Value PoolGetAutostart(const Napi::CallbackInfo& info) {
  return PoolCall(info, "drover:libvirt:poolGetAutostart", [](virStoragePoolPtr p) -> Builder {
    int a = 0;
    if (virStoragePoolGetAutostart(p, &a) < 0) Fail("virStoragePoolGetAutostart");
    return Bool(a != 0);
  });
}

Napi::Value PoolSetAutostart(const Napi::CallbackInfo& info) {
  bool on = info[1].ToBoolean();
  return PoolCall(info, "drover:libvirt:poolSetAutostart", [on](virStoragePoolPtr p) -> Builder {
    if (virStoragePoolSetAutostart(p, on ? 1 : 0) < 0) Fail("virStoragePoolSetAutostart");
    return nullptr;
  });
}

// ---- volumes --------------------------------------------------------------------------------

Napi::Value VolListAll(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Pool);
  auto st = h->conn;
  auto ref = RefPool(h);
  return Run(info.Env(), "drover:libvirt:volListAll", [ref, st]() -> Builder {
    virStorageVolPtr* vols = nullptr;
    int n = virStoragePoolListAllVolumes(ref->p, &vols, 0);
    if (n < 0) Fail("virStoragePoolListAllVolumes");
    auto box = std::make_shared<Children>();
    for (int i = 0; i < n; i++) box->items.push_back(VolChild(vols[i]));
    free(vols);
    return ManyChildren(st, box);
  });
}

Napi::Value VolCreateXML(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Pool);
  std::string xml = ArgString(info, 1, "xml");
  unsigned int flags = ArgFlags(info, 2);
  auto st = h->conn;
  auto ref = RefPool(h);
  return Run(info.Env(), "drover:libvirt:volCreateXML", [ref, st, xml, flags]() -> Builder {
    virStorageVolPtr v = virStorageVolCreateXML(ref->p, xml.c_str(), flags);
    if (v == nullptr) Fail("virStorageVolCreateXML");
    return OneChild(st, VolChild(v));
  });
}

Napi::Value VolLookupByName(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Pool);
  std::string name = ArgString(info, 1, "name");
  auto st = h->conn;
  auto ref = RefPool(h);
  return Run(info.Env(), "drover:libvirt:volLookupByName", [ref, st, name]() -> Builder {
    virStorageVolPtr v = virStorageVolLookupByName(ref->p, name.c_str());
    if (v == nullptr) Fail("virStorageVolLookupByName");
    return OneChild(st, VolChild(v));
  });
}

Napi::Value VolLookupByPath(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Connection);
  std::string path = ArgString(info, 1, "path");
  auto st = h->conn;
  auto ref = RefConn(h);
  return Run(info.Env(), "drover:libvirt:volLookupByPath", [ref, st, path]() -> Builder {
    virStorageVolPtr v = virStorageVolLookupByPath(ref->p, path.c_str());
    if (v == nullptr) Fail("virStorageVolLookupByPath");
    return OneChild(st, VolChild(v));
  });
}

Napi::Value VolDelete(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 1);
  return VolCall(info, "drover:libvirt:volDelete", [flags](virStorageVolPtr v) -> Builder {
    if (virStorageVolDelete(v, flags) < 0) Fail("virStorageVolDelete");
    return nullptr;
  });
}

Napi::Value VolWipe(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 1);
  return VolCall(info, "drover:libvirt:volWipe", [flags](virStorageVolPtr v) -> Builder {
    if (virStorageVolWipe(v, flags) < 0) Fail("virStorageVolWipe");
    return nullptr;
  });
}

Napi::Value VolInfo(const Napi::CallbackInfo& info) {
  return VolCall(info, "drover:libvirt:volInfo", [](virStorageVolPtr v) -> Builder {
    virStorageVolInfo vi;
    if (virStorageVolGetInfo(v, &vi) < 0) Fail("virStorageVolGetInfo");
    return [vi](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", Napi::Number::New(env, vi.type));
      o.Set("capacity", Napi::Number::New(env, static_cast<double>(vi.capacity)));
      o.Set("allocation", Napi::Number::New(env, static_cast<double>(vi.allocation)));
      return o;
    };
  });
}

Napi::Value VolResize(const Napi::CallbackInfo& info) {
  uint64_t capacity = ArgU64(info, 1, "capacity");
  unsigned int flags = ArgFlags(info, 2);
  return VolCall(info, "drover:libvirt:volResize", [capacity, flags](virStorageVolPtr v) -> Builder {
    if (virStorageVolResize(v, capacity, flags) < 0) Fail("virStorageVolResize");
    return nullptr;
  });
}

Napi::Value VolPath(const Napi::CallbackInfo& info) {
  return VolCall(info, "drover:libvirt:volPath", [](virStorageVolPtr v) -> Builder {
    return Str(TakeString(virStorageVolGetPath(v), "virStorageVolGetPath"));
  });
}

Napi::Value VolGetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 1);
  return VolCall(info, "drover:libvirt:volGetXMLDesc", [flags](virStorageVolPtr v) -> Builder {
    return Str(TakeString(virStorageVolGetXMLDesc(v, flags), "virStorageVolGetXMLDesc"));
  });
}

}  // namespace

void InitStorage(Napi::Env env, Napi::Object exports) {
  exports.Set("poolListAll", Napi::Function::New(env, PoolListAll, "poolListAll"));
  exports.Set("poolLookupByName", Napi::Function::New(env, PoolLookupByName, "poolLookupByName"));
  exports.Set("poolLookupByUUID", Napi::Function::New(env, PoolLookupByUUID, "poolLookupByUUID"));
  exports.Set("poolLookupByTargetPath", Napi::Function::New(env, PoolLookupByTargetPath, "poolLookupByTargetPath"));
  exports.Set("poolDefineXML", Napi::Function::New(env, PoolDefineXML, "poolDefineXML"));
  exports.Set("poolCreateXML", Napi::Function::New(env, PoolCreateXML, "poolCreateXML"));
  for (const PoolSimple& c : kPoolSimple)
    exports.Set(c.exportName, Napi::Function::New(env, PoolSimpleCall, c.exportName, const_cast<PoolSimple*>(&c)));
  exports.Set("poolInfo", Napi::Function::New(env, PoolInfo, "poolInfo"));
  exports.Set("poolGetXMLDesc", Napi::Function::New(env, PoolGetXMLDesc, "poolGetXMLDesc"));
  exports.Set("poolGetAutostart", Napi::Function::New(env, PoolGetAutostart, "poolGetAutostart"));
  exports.Set("poolSetAutostart", Napi::Function::New(env, PoolSetAutostart, "poolSetAutostart"));
  exports.Set("volListAll", Napi::Function::New(env, VolListAll, "volListAll"));
  exports.Set("volCreateXML", Napi::Function::New(env, VolCreateXML, "volCreateXML"));
  exports.Set("volLookupByName", Napi::Function::New(env, VolLookupByName, "volLookupByName"));
  exports.Set("volLookupByPath", Napi::Function::New(env, VolLookupByPath, "volLookupByPath"));
  exports.Set("volDelete", Napi::Function::New(env, VolDelete, "volDelete"));
  exports.Set("volWipe", Napi::Function::New(env, VolWipe, "volWipe"));
  exports.Set("volInfo", Napi::Function::New(env, VolInfo, "volInfo"));
  exports.Set("volResize", Napi::Function::New(env, VolResize, "volResize"));
  exports.Set("volPath", Napi::Function::New(env, VolPath, "volPath"));
  exports.Set("volGetXMLDesc", Napi::Function::New(env, VolGetXMLDesc, "volGetXMLDesc"));
}

}  // namespace drover
