// Domain calls: lookup and definition through a connection, lifecycle, state, XML, devices,
// addresses, block info and job control.
#include "common.h"
#include "helpers.h"

namespace drover {

namespace {

// ---- through a connection -------------------------------------------------------------------

Napi::Value ListAll(const Napi::CallbackInfo& info) {
  HandleRef h = GetHandle(info, 0, Kind::Connection);
  unsigned int flags = ArgFlags(info, 1);
  auto st = h->conn;
  auto ref = RefConn(h);
  return Run(info.Env(), "drover:libvirt:listAllDomains", [ref, st, flags]() -> Builder {
    virDomainPtr* doms = nullptr;
    int n = virConnectListAllDomains(ref->p, &doms, flags);
    if (n < 0) Fail("virConnectListAllDomains");
    auto box = std::make_shared<Children>();
    for (int i = 0; i < n; i++) box->items.push_back(DomainChild(doms[i]));
    free(doms);
    return ManyChildren(st, box);
  });
}

enum class Lookup { Name, Uuid, Id, Define, Create };

Napi::Value LookupImpl(const Napi::CallbackInfo& info, Lookup how) {
  HandleRef h = GetHandle(info, 0, Kind::Connection);
  std::string text;
  int id = 0;
  unsigned int flags = 0;
  if (how == Lookup::Id) {
    id = static_cast<int>(ArgNumber(info, 1, "id"));
  } else {
    text = ArgString(info, 1, how == Lookup::Define || how == Lookup::Create ? "xml" : how == Lookup::Uuid ? "uuid" : "name");
    flags = ArgFlags(info, 2);
  }
  auto st = h->conn;
  auto ref = RefConn(h);
  return Run(info.Env(), "drover:libvirt:domainLookup", [ref, st, how, text, id, flags]() -> Builder {
    virDomainPtr d = nullptr;
    switch (how) {
      case Lookup::Name: d = virDomainLookupByName(ref->p, text.c_str()); break;
      case Lookup::Uuid: d = virDomainLookupByUUIDString(ref->p, text.c_str()); break;
      case Lookup::Id: d = virDomainLookupByID(ref->p, id); break;
      case Lookup::Define: d = virDomainDefineXMLFlags(ref->p, text.c_str(), flags); break;
      case Lookup::Create: d = virDomainCreateXML(ref->p, text.c_str(), flags); break;
    }
    if (d == nullptr) Fail("domain lookup");
    return OneChild(st, DomainChild(d));
  });
}

Napi::Value LookupByName(const Napi::CallbackInfo& info) { return LookupImpl(info, Lookup::Name); }
Napi::Value LookupByUUID(const Napi::CallbackInfo& info) { return LookupImpl(info, Lookup::Uuid); }
Napi::Value LookupByID(const Napi::CallbackInfo& info) { return LookupImpl(info, Lookup::Id); }
Napi::Value DefineXML(const Napi::CallbackInfo& info) { return LookupImpl(info, Lookup::Define); }
Napi::Value CreateXML(const Napi::CallbackInfo& info) { return LookupImpl(info, Lookup::Create); }

// ---- simple calls: (domain, flags) -> int ---------------------------------------------------

struct SimpleCall {
  const char* exportName;
  const char* what;
  int (*fn)(virDomainPtr, unsigned int);
};

int DoReset(virDomainPtr d, unsigned int f) { return virDomainReset(d, f); }
int DoSuspend(virDomainPtr d, unsigned int) { return virDomainSuspend(d); }
int DoResume(virDomainPtr d, unsigned int) { return virDomainResume(d); }
int DoAbortJob(virDomainPtr d, unsigned int f) { return virDomainAbortJobFlags(d, f); }
int DoIsActive(virDomainPtr d, unsigned int) { return virDomainIsActive(d); }
int DoIsPersistent(virDomainPtr d, unsigned int) { return virDomainIsPersistent(d); }
int DoHasManagedSave(virDomainPtr d, unsigned int f) { return virDomainHasManagedSaveImage(d, f); }

const SimpleCall kSimple[] = {
    {"domCreate", "virDomainCreateWithFlags", virDomainCreateWithFlags},
    {"domShutdown", "virDomainShutdownFlags", virDomainShutdownFlags},
    {"domDestroy", "virDomainDestroyFlags", virDomainDestroyFlags},
    {"domReboot", "virDomainReboot", virDomainReboot},
    {"domReset", "virDomainReset", DoReset},
    {"domSuspend", "virDomainSuspend", DoSuspend},
    {"domResume", "virDomainResume", DoResume},
    {"domManagedSave", "virDomainManagedSave", virDomainManagedSave},
    {"domManagedSaveRemove", "virDomainManagedSaveRemove", virDomainManagedSaveRemove},
    {"domHasManagedSave", "virDomainHasManagedSaveImage", DoHasManagedSave},
    {"domUndefine", "virDomainUndefineFlags", virDomainUndefineFlags},
    {"domAbortJob", "virDomainAbortJobFlags", DoAbortJob},
    {"domMigrateStartPostCopy", "virDomainMigrateStartPostCopy", virDomainMigrateStartPostCopy},
    {"domIsActive", "virDomainIsActive", DoIsActive},
    {"domIsPersistent", "virDomainIsPersistent", DoIsPersistent},
};

Napi::Value Simple(const Napi::CallbackInfo& info) {
  const SimpleCall* call = static_cast<const SimpleCall*>(info.Data());
  unsigned int flags = ArgFlags(info, 1);
  return DomCall(info, call->what, [call, flags](virDomainPtr d) -> Builder {
    int r = call->fn(d, flags);
    if (r < 0) Fail(call->what);
    return Num(r);
  });
}

// ---- the rest -------------------------------------------------------------------------------

Napi::Value GetID(const Napi::CallbackInfo& info) {
  return DomCall(info, "drover:libvirt:domGetID", [](virDomainPtr d) -> Builder {
    unsigned char uuid[VIR_UUID_BUFLEN];
    if (virDomainGetUUID(d, uuid) < 0) Fail("virDomainGetUUID");
    virDomainPtr fresh = virDomainLookupByUUID(virDomainGetConnect(d), uuid);
    if (fresh == nullptr) Fail("virDomainLookupByUUID");
    unsigned int id = virDomainGetID(fresh);
    virDomainFree(fresh);
    return Num(id == static_cast<unsigned int>(-1) ? -1 : static_cast<double>(id));
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return DomCall(info, "drover:libvirt:domInfo", [](virDomainPtr d) -> Builder {
    virDomainInfo di;
    if (virDomainGetInfo(d, &di) < 0) Fail("virDomainGetInfo");
    return [di](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("state", Napi::Number::New(env, di.state));
      o.Set("maxMemKiB", Napi::Number::New(env, static_cast<double>(di.maxMem)));
      o.Set("memoryKiB", Napi::Number::New(env, static_cast<double>(di.memory)));
      o.Set("vcpus", Napi::Number::New(env, di.nrVirtCpu));
      o.Set("cpuTimeNs", Napi::Number::New(env, static_cast<double>(di.cpuTime)));
      return o;
    };
  });
}

Napi::Value State(const Napi::CallbackInfo& info) {
  return DomCall(info, "drover:libvirt:domState", [](virDomainPtr d) -> Builder {
    int state = 0, reason = 0;
    if (virDomainGetState(d, &state, &reason, 0) < 0) Fail("virDomainGetState");
    return [state, reason](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("state", Napi::Number::New(env, state));
      o.Set("reason", Napi::Number::New(env, reason));
      return o;
    };
  });
}

Napi::Value GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 1);
  return DomCall(info, "drover:libvirt:domGetXMLDesc", [flags](virDomainPtr d) -> Builder {
    return Str(TakeString(virDomainGetXMLDesc(d, flags), "virDomainGetXMLDesc"));
  });
}

Napi::Value GetAutostart(const Napi::CallbackInfo& info) {
  return DomCall(info, "drover:libvirt:domGetAutostart", [](virDomainPtr d) -> Builder {
    int a = 0;
    if (virDomainGetAutostart(d, &a) < 0) Fail("virDomainGetAutostart");
    return Bool(a != 0);
  });
}

Napi::Value SetAutostart(const Napi::CallbackInfo& info) {
  bool on = info[1].ToBoolean();
  return DomCall(info, "drover:libvirt:domSetAutostart", [on](virDomainPtr d) -> Builder {
    if (virDomainSetAutostart(d, on ? 1 : 0) < 0) Fail("virDomainSetAutostart");
    return nullptr;
  });
}

Napi::Value SetMemory(const Napi::CallbackInfo& info) {
  uint64_t kib = ArgU64(info, 1, "memory");
  unsigned int flags = ArgFlags(info, 2);
  return DomCall(info, "drover:libvirt:domSetMemory", [kib, flags](virDomainPtr d) -> Builder {
    if (virDomainSetMemoryFlags(d, static_cast<unsigned long>(kib), flags) < 0) Fail("virDomainSetMemoryFlags");
    return nullptr;
  });
}

Napi::Value SetVcpus(const Napi::CallbackInfo& info) {
  unsigned int n = static_cast<unsigned int>(ArgNumber(info, 1, "vcpus"));
  unsigned int flags = ArgFlags(info, 2);
  return DomCall(info, "drover:libvirt:domSetVcpus", [n, flags](virDomainPtr d) -> Builder {
    if (virDomainSetVcpusFlags(d, n, flags) < 0) Fail("virDomainSetVcpusFlags");
    return nullptr;
  });
}

struct DeviceCall {
  const char* what;
  int (*fn)(virDomainPtr, const char*, unsigned int);
};
const DeviceCall kAttach = {"virDomainAttachDeviceFlags", virDomainAttachDeviceFlags};
const DeviceCall kDetach = {"virDomainDetachDeviceFlags", virDomainDetachDeviceFlags};
const DeviceCall kUpdate = {"virDomainUpdateDeviceFlags", virDomainUpdateDeviceFlags};
const DeviceCall kDetachAlias = {"virDomainDetachDeviceAlias", virDomainDetachDeviceAlias};

Napi::Value Device(const Napi::CallbackInfo& info) {
  const DeviceCall* call = static_cast<const DeviceCall*>(info.Data());
  std::string arg = ArgString(info, 1, "device");
  unsigned int flags = ArgFlags(info, 2);
  return DomCall(info, call->what, [call, arg, flags](virDomainPtr d) -> Builder {
    if (call->fn(d, arg.c_str(), flags) < 0) Fail(call->what);
    return nullptr;
  });
}

struct IfaceAddr {
  int type;
  std::string addr;
  int prefix;
};
struct Iface {
  std::string name, hwaddr;
  std::vector<IfaceAddr> addrs;
};

Napi::Value InterfaceAddresses(const Napi::CallbackInfo& info) {
  unsigned int source = ArgFlags(info, 1);
  return DomCall(info, "drover:libvirt:domInterfaceAddresses", [source](virDomainPtr d) -> Builder {
    virDomainInterfacePtr* ifaces = nullptr;
    int n = virDomainInterfaceAddresses(d, &ifaces, source, 0);
    if (n < 0) Fail("virDomainInterfaceAddresses");
    std::vector<Iface> out;
    for (int i = 0; i < n; i++) {
      Iface f;
      f.name = ifaces[i]->name ? ifaces[i]->name : "";
      f.hwaddr = ifaces[i]->hwaddr ? ifaces[i]->hwaddr : "";
      for (unsigned int j = 0; j < ifaces[i]->naddrs; j++) {
        const auto& a = ifaces[i]->addrs[j];
        f.addrs.push_back({a.type, a.addr ? a.addr : "", static_cast<int>(a.prefix)});
      }
      out.push_back(f);
      virDomainInterfaceFree(ifaces[i]);
    }
    free(ifaces);
    return [out](Napi::Env env) -> Napi::Value {
      Napi::Array arr = Napi::Array::New(env, out.size());
      for (size_t i = 0; i < out.size(); i++) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", out[i].name);
        o.Set("hwaddr", out[i].hwaddr);
        Napi::Array addrs = Napi::Array::New(env, out[i].addrs.size());
        for (size_t j = 0; j < out[i].addrs.size(); j++) {
          Napi::Object a = Napi::Object::New(env);
          a.Set("type", out[i].addrs[j].type == VIR_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4");
          a.Set("address", out[i].addrs[j].addr);
          a.Set("prefix", Napi::Number::New(env, out[i].addrs[j].prefix));
          addrs.Set(static_cast<uint32_t>(j), a);
        }
        o.Set("addresses", addrs);
        arr.Set(static_cast<uint32_t>(i), o);
      }
      return arr;
    };
  });
}

Napi::Value BlockInfo(const Napi::CallbackInfo& info) {
  std::string disk = ArgString(info, 1, "disk");
  return DomCall(info, "drover:libvirt:domBlockInfo", [disk](virDomainPtr d) -> Builder {
    virDomainBlockInfo bi;
    if (virDomainGetBlockInfo(d, disk.c_str(), &bi, 0) < 0) Fail("virDomainGetBlockInfo");
    return [bi](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("capacity", Napi::Number::New(env, static_cast<double>(bi.capacity)));
      o.Set("allocation", Napi::Number::New(env, static_cast<double>(bi.allocation)));
      o.Set("physical", Napi::Number::New(env, static_cast<double>(bi.physical)));
      return o;
    };
  });
}

Napi::Value JobInfo(const Napi::CallbackInfo& info) {
  return DomCall(info, "drover:libvirt:domJobInfo", [](virDomainPtr d) -> Builder {
    virDomainJobInfo ji;
    if (virDomainGetJobInfo(d, &ji) < 0) Fail("virDomainGetJobInfo");
    return [ji](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      auto n = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
      n("type", ji.type);
      n("timeElapsed", static_cast<double>(ji.timeElapsed));
      n("timeRemaining", static_cast<double>(ji.timeRemaining));
      n("dataTotal", static_cast<double>(ji.dataTotal));
      n("dataProcessed", static_cast<double>(ji.dataProcessed));
      n("dataRemaining", static_cast<double>(ji.dataRemaining));
      n("memTotal", static_cast<double>(ji.memTotal));
      n("memProcessed", static_cast<double>(ji.memProcessed));
      n("memRemaining", static_cast<double>(ji.memRemaining));
      n("fileTotal", static_cast<double>(ji.fileTotal));
      n("fileProcessed", static_cast<double>(ji.fileProcessed));
      n("fileRemaining", static_cast<double>(ji.fileRemaining));
      return o;
    };
  });
}

Napi::Value JobStats(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 1);
  return DomCall(info, "drover:libvirt:domJobStats", [flags](virDomainPtr d) -> Builder {
    int type = 0;
    virTypedParameterPtr params = nullptr;
    int n = 0;
    if (virDomainGetJobStats(d, &type, &params, &n, flags) < 0) Fail("virDomainGetJobStats");
    std::vector<TypedValue> values = CopyTypedParams(params, n);
    virTypedParamsFree(params, n);
    return [type, values](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("type", Napi::Number::New(env, type));
      o.Set("params", TypedParamsToJs(env, values));
      return o;
    };
  });
}

Napi::Value MigrateSetMaxSpeed(const Napi::CallbackInfo& info) {
  uint64_t bw = ArgU64(info, 1, "bandwidth");
  unsigned int flags = ArgFlags(info, 2);
  return DomCall(info, "drover:libvirt:domMigrateSetMaxSpeed", [bw, flags](virDomainPtr d) -> Builder {
    if (virDomainMigrateSetMaxSpeed(d, static_cast<unsigned long>(bw), flags) < 0) Fail("virDomainMigrateSetMaxSpeed");
    return nullptr;
  });
}

Napi::Value MigrateGetMaxSpeed(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 1);
  return DomCall(info, "drover:libvirt:domMigrateGetMaxSpeed", [flags](virDomainPtr d) -> Builder {
    unsigned long bw = 0;
    if (virDomainMigrateGetMaxSpeed(d, &bw, flags) < 0) Fail("virDomainMigrateGetMaxSpeed");
    return Num(static_cast<double>(bw));
  });
}

Napi::Value MigrateSetMaxDowntime(const Napi::CallbackInfo& info) {
  uint64_t ms = ArgU64(info, 1, "downtime");
  unsigned int flags = ArgFlags(info, 2);
  return DomCall(info, "drover:libvirt:domMigrateSetMaxDowntime", [ms, flags](virDomainPtr d) -> Builder {
    if (virDomainMigrateSetMaxDowntime(d, ms, flags) < 0) Fail("virDomainMigrateSetMaxDowntime");
    return nullptr;
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  HandleRef h = PeekHandle(info[0]);
  if (h && h->kind != Kind::Connection) Reap(DetachRelease(*h));
  return info.Env().Undefined();
}

}  // namespace

void InitDomain(Napi::Env env, Napi::Object exports) {
  exports.Set("domListAll", Napi::Function::New(env, ListAll, "domListAll"));
  exports.Set("domLookupByName", Napi::Function::New(env, LookupByName, "domLookupByName"));
  exports.Set("domLookupByUUID", Napi::Function::New(env, LookupByUUID, "domLookupByUUID"));
  exports.Set("domLookupByID", Napi::Function::New(env, LookupByID, "domLookupByID"));
  exports.Set("domDefineXML", Napi::Function::New(env, DefineXML, "domDefineXML"));
  exports.Set("domCreateXML", Napi::Function::New(env, CreateXML, "domCreateXML"));
  for (const SimpleCall& c : kSimple)
    exports.Set(c.exportName, Napi::Function::New(env, Simple, c.exportName, const_cast<SimpleCall*>(&c)));
  exports.Set("domGetID", Napi::Function::New(env, GetID, "domGetID"));
  exports.Set("domInfo", Napi::Function::New(env, Info, "domInfo"));
  exports.Set("domState", Napi::Function::New(env, State, "domState"));
  exports.Set("domGetXMLDesc", Napi::Function::New(env, GetXMLDesc, "domGetXMLDesc"));
  exports.Set("domGetAutostart", Napi::Function::New(env, GetAutostart, "domGetAutostart"));
  exports.Set("domSetAutostart", Napi::Function::New(env, SetAutostart, "domSetAutostart"));
  exports.Set("domSetMemory", Napi::Function::New(env, SetMemory, "domSetMemory"));
  exports.Set("domSetVcpus", Napi::Function::New(env, SetVcpus, "domSetVcpus"));
  exports.Set("domAttachDevice", Napi::Function::New(env, Device, "domAttachDevice", const_cast<DeviceCall*>(&kAttach)));
  exports.Set("domDetachDevice", Napi::Function::New(env, Device, "domDetachDevice", const_cast<DeviceCall*>(&kDetach)));
  exports.Set("domUpdateDevice", Napi::Function::New(env, Device, "domUpdateDevice", const_cast<DeviceCall*>(&kUpdate)));
  exports.Set("domDetachDeviceAlias",
              Napi::Function::New(env, Device, "domDetachDeviceAlias", const_cast<DeviceCall*>(&kDetachAlias)));
  exports.Set("domInterfaceAddresses", Napi::Function::New(env, InterfaceAddresses, "domInterfaceAddresses"));
  exports.Set("domBlockInfo", Napi::Function::New(env, BlockInfo, "domBlockInfo"));
  exports.Set("domJobInfo", Napi::Function::New(env, JobInfo, "domJobInfo"));
  exports.Set("domJobStats", Napi::Function::New(env, JobStats, "domJobStats"));
  exports.Set("domMigrateSetMaxSpeed", Napi::Function::New(env, MigrateSetMaxSpeed, "domMigrateSetMaxSpeed"));
  exports.Set("domMigrateGetMaxSpeed", Napi::Function::New(env, MigrateGetMaxSpeed, "domMigrateGetMaxSpeed"));
  exports.Set("domMigrateSetMaxDowntime", Napi::Function::New(env, MigrateSetMaxDowntime, "domMigrateSetMaxDowntime"));
  exports.Set("handleFree", Napi::Function::New(env, Free, "handleFree"));
}

}  // namespace drover
