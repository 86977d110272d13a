package siptrunk

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"xphone/configs"
	"xphone/sfu"
)

// tortureAnswers is what each RFC 4475 message gets from the PBX's
// address over UDP and over TCP: final statuses in order ("" silence);
// a trailing "close" means the server closes the TCP connection (framing
// lost). A stranger gets silence for every one of them.
//
// Xphone is a UAS: a REGISTER-class message is answered 405 (method
// inspection comes first, RFC 3261 §8.2.1), valid INVITEs are processed
// (here: 404, no such number; wsinv carries a To tag: 481, no dialog),
// responses are never answered.
var tortureAnswers = []struct{ name, udp, tcp string }{
	// 3.1.1 valid messages
	{"wsinv", "481", "481"},
	{"intmeth", "501", "501"},
	{"esc01", "404", "404"},
	{"escnull", "405", "405"},
	{"esc02", "501", "501"},
	{"lwsdisp", "200", "200"},
	{"longreq", "404", "404"},
	{"dblreq", "405", "400 405"}, // over TCP the INVITE after it is a message of its own: no Contact
	{"semiuri", "200", "200"},
	{"transports", "200", "200"},
	{"mpart01", "405", "405"},
	{"unreason", "", ""},
	{"noreason", "", ""},
	// 3.1.2 invalid messages
	{"badinv01", "400", "400"},
	{"clerr", "400", ""}, // TCP: wait for the rest of the body
	{"ncl", "400", "400 close"},
	{"scalar02", "400", "400"},
	{"scalarlg", "", ""},
	{"quotbal", "400", "400"},
	{"ltgtruri", "400", "400"},
	{"lwsruri", "400", "400"},
	{"lwsstart", "400", "400"},
	{"trws", "400", "400"},
	{"escruri", "400", "400"},
	{"baddate", "404", "404"}, // Date is not used: processed
	{"regbadct", "405", "405"},
	{"badaspec", "400", "400"},
	{"baddn", "400", ""}, // the RFC's file ends without the empty line: on a stream the headers never end
	{"badvers", "505", "505"},
	{"mismatch01", "400", "400"},
	{"mismatch02", "400", "400"},
	{"bigcode", "", ""},
	// 3.2 transaction layer
	{"badbranch", "200", "200"},
	// 3.3 application layer
	{"insuf", "400", "400"},
	{"unkscm", "416", "416"},
	{"novelsc", "416", "416"},
	{"unksm2", "405", "405"},
	{"bext01", "420", "420"},
	{"invut", "415", "415"},
	{"regaut01", "405", "405"},
	{"multi01", "400", "400"},
	{"mcl01", "400", "400 close"},
	{"bcast", "", ""},
	{"zeromf", "200", "200"},
	{"cparam01", "405", "405"},
	{"cparam02", "405", "405"},
	{"regescrt", "405", "405"},
	{"sdp01", "406", "406"},
	// 3.4 backward compatibility: RFC 2543 requests are not supported
	{"inv2543", "400", "400 close"}, // TCP: no Content-Length either
}

// The PBX is 127.0.1.0/24: message i comes from 127.0.1.(i+1), over UDP
// from port 5060, because a UAS answers to the source IP and the Via's
// port (RFC 3261 §18.2.2) and the RFC's Vias name no port. Some of the
// RFC's messages share a transaction key (branch, sent-by and method:
// mismatch01 and baddate, escnull and regescrt, cparam01 and cparam02,
// baddn and badvers), so sent together to one UA the second is a
// retransmission of the first (RFC 3261 §17.2.3): the second of a pair
// goes to a second UDP and TCP trunk.
const (
	pbxNet     = "127.0.1.0/24"
	strangerIP = "127.0.0.3"
)

var (
	tortureUDP = [2]string{ourSIP, "127.0.0.1:5062"}
	tortureTCP = [2]string{"127.0.0.1:5070", "127.0.0.1:5072"}
)

func pbxIP(i int) string { return "127.0.1." + strconv.Itoa(i+1) }

// tortureTrunks starts two UDP and two TCP trunks whose PBX is
// 127.0.1.0/24 (plain RTP, so valid INVITEs reach call control, which
// knows no number).
func tortureTrunks(t *testing.T) []*Trunk {
	t.Helper()
	calls := sfu.NewCalls(sfu.CallsConfig{NoAnswerTimeout: 5 * time.Second}, testLogger())
	t.Cleanup(calls.Close)
	start := func(tc configs.Trunk) *Trunk {
		tc.Name, tc.Address, tc.Media, tc.Codecs = "pbx-"+tc.Listen, "127.0.1.254:5999", "rtp", []string{"pcmu"}
		tc.AllowedSources = []string{pbxNet}
		tr, err := New(Config{Trunk: tc, MediaIP: ourIP}, calls, testLogger())
		must(t, err)
		must(t, tr.Start())
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = tr.Close(ctx)
		})
		return tr
	}
	var out []*Trunk
	for i := range 2 {
		out = append(out, start(configs.Trunk{Transport: "udp", Listen: tortureUDP[i]}), start(configs.Trunk{Transport: "tcp", Listen: tortureTCP[i]}))
	}
	return out
}

// txKey is a message's server transaction key as RFC 3261 §17.2.3 matches
// it: top Via branch and sent-by, and the CSeq method.
func txKey(msg []byte) string {
	via, method := "", ""
	head, _, _ := strings.Cut(string(msg), "\r\n\r\n")
	for _, l := range headerLines([]byte(head)) {
		switch name := headerName(l); {
		case (name == "via" || name == "v") && via == "":
			_, v, _ := strings.Cut(l, ":")
			via = strings.Join(strings.Fields(v), "")
		case name == "cseq":
			f := strings.Fields(l)
			method = f[len(f)-1]
		}
	}
	return strings.ToLower(via) + " " + method
}

func readTorture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rfc4475", name+".dat"))
	must(t, err)
	return data
}

var statusRE = regexp.MustCompile(`(?m)^SIP/2\.0 ([0-9]{3}) `)

// finals are the distinct final statuses in text, sorted (1xx and
// retransmissions left out).
func finals(text string) []string {
	var out []string
	for _, m := range statusRE.FindAllStringSubmatch(text, -1) {
		if m[1][0] != '1' && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// udpAnswer sends msg from addr to trunk and collects the answers for window.
func udpAnswer(t *testing.T, addr, trunk string, msg []byte, window time.Duration) string {
	conn, err := net.ListenPacket("udp4", addr)
	must(t, err)
	defer conn.Close()
	dst, _ := net.ResolveUDPAddr("udp4", trunk)
	_, err = conn.WriteTo(msg, dst)
	must(t, err)
	var got strings.Builder
	buf := make([]byte, 65535)
	_ = conn.SetReadDeadline(time.Now().Add(window))
	for {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			break
		}
		got.Write(buf[:n])
	}
	return strings.Join(finals(got.String()), " ")
}

// tcpAnswer sends msg on a new connection from ip and collects answers for
// window, adding "close" when the server closed the connection.
func tcpAnswer(t *testing.T, ip, trunk string, msg []byte, window time.Duration) string {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: time.Second}
	conn, err := d.Dial("tcp4", trunk)
	must(t, err)
	defer conn.Close()
	_, _ = conn.Write(msg)
	_ = conn.SetReadDeadline(time.Now().Add(window))
	data, err := io.ReadAll(conn)
	ans := finals(string(data))
	if err == nil || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "reset") {
		ans = append(ans, "close")
	}
	return strings.Join(ans, " ")
}

// TestRFC4475 sends the 49 RFC 4475 messages to the trunks' listeners
// over UDP and TCP, from the PBX's own address and from a stranger (another
// 127/8 address), and checks each exact answer: the RFC's from the PBX,
// silence (and a closed connection) for the stranger.
func TestRFC4475(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "rfc4475", "*.dat"))
	must(t, err)
	if len(files) != 49 || len(tortureAnswers) != 49 {
		t.Fatalf("%d messages, %d expectations; want the 49 of RFC 4475", len(files), len(tortureAnswers))
	}
	trunks := tortureTrunks(t)
	const window = 1500 * time.Millisecond
	type result struct{ pbxUDP, pbxTCP, strUDP, strTCP string }
	results := make([]result, len(tortureAnswers))
	var wg sync.WaitGroup
	seen := map[string]bool{}
	for i, tc := range tortureAnswers {
		msg := readTorture(t, tc.name)
		k := 0
		if key := txKey(msg); seen[key] {
			k = 1
		} else {
			seen[key] = true
		}
		udp, tcp := tortureUDP[k], tortureTCP[k]
		wg.Add(4)
		go func() { defer wg.Done(); results[i].pbxUDP = udpAnswer(t, pbxIP(i)+":5060", udp, msg, window) }()
		go func() { defer wg.Done(); results[i].pbxTCP = tcpAnswer(t, pbxIP(i), tcp, msg, window) }()
		go func() { defer wg.Done(); results[i].strUDP = udpAnswer(t, strangerIP+":0", udp, msg, window) }()
		go func() { defer wg.Done(); results[i].strTCP = tcpAnswer(t, strangerIP, tcp, msg, window) }()
	}
	wg.Wait()
	for i, tc := range tortureAnswers {
		r := results[i]
		if r.pbxUDP != tc.udp || r.pbxTCP != tc.tcp {
			t.Errorf("%-10s from the PBX: UDP %q TCP %q, want %q %q", tc.name, r.pbxUDP, r.pbxTCP, tc.udp, tc.tcp)
		}
		if r.strUDP != "" || r.strTCP != "close" {
			t.Errorf("%-10s from a stranger: UDP %q TCP %q, want silence and a closed connection", tc.name, r.strUDP, r.strTCP)
		}
	}
	var dropped, panics uint64
	for _, tr := range trunks {
		dropped += tr.Stats.DroppedSources.Load()
		panics += tr.Stats.Panics.Load()
	}
	if dropped != 2*49 {
		t.Errorf("strangers counted %d times, want %d", dropped, 2*49)
	}
	if panics != 0 {
		t.Errorf("%d handler panics", panics)
	}
}
