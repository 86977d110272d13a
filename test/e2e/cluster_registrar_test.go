package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// clusterRegistrar is kamailio as the PBX's registrar for the cluster's
// trunk account (the registrar of the siptrunk cluster tests, reduced to
// REGISTER over UDP). Its own port, so that it can run beside the siptrunk
// package's kamailio (127.0.0.2:5080) in one namespace.
const clusterRegistrarAddr = "127.0.0.2:5180"

const clusterKamailioCfg = `#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.2:5180
auto_aliases=no

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"

modparam("usrloc", "db_mode", 0)
modparam("auth", "qop", "auth")
modparam("registrar", "min_expires", 2)
modparam("registrar", "max_expires", 4)
modparam("registrar", "default_expires", 4)

request_route {
	if (is_method("OPTIONS") && !has_totag()) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (!is_method("REGISTER")) {
		sl_send_reply("403", "Registrar only");
		exit;
	}
	if (!pv_www_authenticate("$fd", "s3cret", "0") || $fU != "xphone") {
		www_challenge("$fd", "0");
		exit;
	}
	xlog("L_INFO", "REGISTER ok $fU expires=$hdr(Expires) contact=$ct\n");
	if (!save("location")) {
		sl_reply_error();
	}
	exit;
}
`

// registrar is the running kamailio and its log.
type registrar struct {
	cmd *exec.Cmd
	out *syncBuffer
}

// startRegistrar runs kamailio until it answers OPTIONS; it stops (with
// its worker processes) at cleanup.
func startRegistrar(t *testing.T) *registrar {
	t.Helper()
	ensureLoopback(t, "127.0.0.2")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfg, []byte(clusterKamailioCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &registrar{out: &syncBuffer{}}
	r.cmd = exec.Command("kamailio", "-f", cfg, "-DD", "-E", "-m", "32", "-M", "4", "-Y", dir)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	// Its own process group, so that the stop reaches its workers.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r.cmd.WaitDelay = 2 * time.Second
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("kamailio (scripts/install-deps.sh installs it): %v", err)
	}
	t.Cleanup(r.stop)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if sipOptionsOK(clusterRegistrarAddr) {
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("kamailio did not answer OPTIONS on %s:\n%s", clusterRegistrarAddr, r.out.String())
	return nil
}

// stop ends kamailio's process group: SIGTERM, SIGKILL after 2 s.
func (r *registrar) stop() {
	pgid := r.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-done
}

// registeredFrom reports whether kamailio accepted a REGISTER whose
// contact is on ip since log offset from (its log length before).
func (r *registrar) registeredFrom(ip string, from int) bool {
	log := r.out.String()
	if from > len(log) {
		from = len(log)
	}
	re := regexp.MustCompile(`REGISTER ok xphone expires=.* contact=.*@` + regexp.QuoteMeta(ip) + `:`)
	return re.MatchString(log[from:])
}

// sipOptionsOK sends one OPTIONS over UDP and reports a 200 answer.
func sipOptionsOK(addr string) bool {
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return false
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	msg := strings.Join([]string{
		"OPTIONS sip:" + addr + " SIP/2.0",
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-e2e-" + strings.ReplaceAll(local, ":", "-") + ";rport",
		"Max-Forwards: 70",
		"From: <sip:probe@127.0.0.1>;tag=e2e",
		"To: <sip:" + addr + ">",
		"Call-ID: e2e-options-" + local,
		"CSeq: 1 OPTIONS",
		"Content-Length: 0", "", ""}, "\r\n")
	dst, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return false
	}
	if _, err := conn.WriteTo([]byte(msg), dst); err != nil {
		return false
	}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	n, _, err := conn.ReadFrom(buf)
	return err == nil && strings.Contains(string(buf[:n]), " 200 ")
}
