import { describe, expect, it } from 'vitest';
import { audit } from './connect-audit.mjs';

const APP = '/x/amanat-desktop';
const trace = (extra) =>
  [
    `100 execve("/usr/bin/WebKitWebDriver", ["WebKitWebDriver"], [...]) = 0`,
    `100 connect(5, {sa_family=AF_INET, sin_port=htons(4000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0`,
    `100 clone3({flags=CLONE_VM}, 88) = 200`,
    `200 execve("${APP}", ["${APP}"], ["HOME=/h", "WEBKIT_INSPECTOR_SERVER=127.0.0.1:4000"]) = 0`,
    `200 connect(17, {sa_family=AF_INET, sin_port=htons(4000), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS`,
    `200 clone3({flags=CLONE_VM}, 88) = 300`,
    `300 execve("/usr/lib/webkit2gtk-4.1/WebKitNetworkProcess", ["x"], []) = 0`,
    `300 connect(9, {sa_family=AF_UNIX, sun_path="/run/user/0/bus"}, 110) = 0`,
    ...extra,
  ].join('\n');

describe('the connect audit', () => {
  it('accepts the WebDriver channel and unix sockets', () => {
    const r = audit(trace([]), APP);
    expect(r.appPids).toEqual([200, 300]);
    expect(r.channel).toHaveLength(1);
    expect(r.byApp).toHaveLength(0);
    expect(r.others).toHaveLength(1);
  });

  it('catches any other inet connect by the app or by a WebKit process it started', () => {
    const r = audit(
      trace([
        `300 connect(10, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("93.184.216.34")}, 16) = -1 ENETUNREACH`,
        `200 connect(18, {sa_family=AF_INET, sin_port=htons(4001), sin_addr=inet_addr("127.0.0.1")}, 16) = 0`,
        `200 connect(19, {sa_family=AF_INET6, sin6_port=htons(53), sin6_addr=inet_pton(AF_INET6, "::1")}, 28) = 0`,
      ]),
      APP,
    );
    expect(r.byApp.map((c) => c.pid)).toEqual([300, 200, 200]);
  });
});
