package web

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"xphone/sfu"
	"xphone/web/i18n"
)

// The catalogue test: the UI shows no text that is missing from a
// catalogue, and every catalogue has every text. It reads the UI's sources
// (web/ui, embedded) for the keys they use, and the page for texts written
// into it instead of taken from a catalogue.

// keyLiteral is a quoted catalogue key in the UI's JavaScript ('phone.hint').
var keyLiteral = regexp.MustCompile(`'([a-z]+(?:\.[a-z0-9_]+)+)'`)

// notKey reports dotted literals of the UI that are not catalogue keys
// (localStorage keys are "xphone.…").
func notKey(s string) bool { return strings.HasPrefix(s, "xphone.") }

// dynamicKeys are the key families the UI builds from codes the server
// sends (or from a few fixed words), each of which must be in the catalogues.
func dynamicKeys() []string {
	var keys []string
	for _, r := range sfu.Reasons() {
		keys = append(keys, "reason."+string(r))
	}
	for _, r := range []refusal{refusedNotConnected, refusedInConference, refusedStoreDown, refusedAcrossNodes} {
		keys = append(keys, "refused."+string(r))
	}
	for _, c := range []string{codeBadCredentials, codeNoAccess, codeLockedOut, codeTooManyAtOnce, codeStoreDown, codeDisabled, codeBadLogin} {
		keys = append(keys, "login.error."+c)
	}
	for _, r := range meetingErrors {
		keys = append(keys, "meeting.error."+r)
	}
	for _, r := range []string{"negotiation", "no_media_address"} {
		keys = append(keys, "error."+r)
	}
	for _, state := range []string{"available", "on_call", "ringing", "dnd", "offline"} {
		keys = append(keys, "presence."+state, "admin.presence."+state)
	}
	for family, codes := range map[string][]string{
		"admin.mode.":       {"all", "speaker", "none", "last_n"},
		"admin.call_state.": {"ringing", "connected"},
		"admin.leg_kind.":   {"browser", "sip"},
		"admin.trunk.":      {"static", "registered", "not_registered", "registering"},
	} {
		for _, c := range codes {
			keys = append(keys, family+c)
		}
	}
	// answer.unusable (sfu.MediaProblem): per reason and kind.
	for _, kind := range []string{"audio", "video"} {
		keys = append(keys, "media.unusable.codec."+kind, "media.unusable.no_codec."+kind)
	}
	keys = append(keys, "media.unusable."+sfu.ProblemLayers)
	for _, what := range []string{"denied", "missing", "busy", "failed"} {
		keys = append(keys, "media."+what+"_audio", "media."+what+"_video")
	}
	return keys
}

// uiKeys returns every key the UI's JavaScript and page name, by file.
func uiKeys(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	err := fs.WalkDir(uiFiles, "ui", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(uiFiles, path)
		if err != nil {
			return err
		}
		var re *regexp.Regexp
		switch {
		case strings.HasSuffix(path, ".js"):
			re = keyLiteral
		case strings.HasSuffix(path, ".html"):
			re = regexp.MustCompile(`data-i18n[a-z-]*="([^"]+)"`)
		default:
			return nil
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			if !notKey(m[1]) {
				used[m[1]] = append(used[m[1]], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// serverKeys returns the keys the server's own pages and errors use: the
// admin page's template and the web package's Go code.
func serverKeys(t *testing.T, used map[string][]string) {
	t.Helper()
	page, err := fs.ReadFile(adminFiles, "admin.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\{\{-?\s*[tn] "([^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		used[m[1]] = append(used[m[1]], "admin.html")
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\.[TN]\("([a-z_.]+)"`).FindAllStringSubmatch(string(src), -1) {
			if !strings.HasSuffix(m[1], ".") { // a family: dynamicKeys lists its members
				used[m[1]] = append(used[m[1]], f)
			}
		}
	}
}

func TestEveryUITextIsInEveryCatalogue(t *testing.T) {
	set, err := loadTexts()
	if err != nil {
		t.Fatal(err)
	}
	if langs := set.Langs(); !slices.Equal(langs, []string{"en", "ru"}) {
		t.Fatalf("catalogues %v, want en and ru", langs)
	}
	used := uiKeys(t)
	if len(used) < 100 {
		t.Fatalf("only %d keys found in the UI: is the scan broken?", len(used))
	}
	serverKeys(t, used)
	for _, k := range dynamicKeys() {
		used[k] = append(used[k], "(codes the server sends)")
	}
	for _, lang := range set.Langs() {
		c := set.Get(lang)
		for _, k := range slices.Sorted(maps.Keys(used)) {
			if !c.Has(k) {
				t.Errorf("%s.json has no %q (used in %s)", lang, k, strings.Join(used[k], ", "))
			}
		}
	}
}

// placeholders lists the {names} of a text.
func placeholders(s string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestCataloguesAgree: every catalogue has the same keys as English, the
// same placeholders in each text, and every plural form its language needs.
func TestCataloguesAgree(t *testing.T) {
	set, err := loadTexts()
	if err != nil {
		t.Fatal(err)
	}
	en := set.Get(i18n.Fallback)
	for _, lang := range set.Langs() {
		c := set.Get(lang)
		if !slices.Equal(c.Keys(), en.Keys()) {
			missing, extra := diff(en.Keys(), c.Keys()), diff(c.Keys(), en.Keys())
			t.Errorf("%s.json: missing %v, not in en.json %v", lang, missing, extra)
		}
		for _, k := range c.Keys() {
			checkText(t, lang, k, c, en)
		}
		if name, _ := c.Text("@name"); name == "" {
			t.Errorf("%s.json has no @name (its name in the Language select)", lang)
		}
	}
}

func checkText(t *testing.T, lang, k string, c, en *i18n.Catalogue) {
	t.Helper()
	want := ""
	if text, ok := en.Text(k); ok {
		want = strings.Join(placeholders(text), ",")
	} else if f := en.Forms(k); f != nil {
		want = strings.Join(placeholders(f["other"]), ",")
	}
	if text, ok := c.Text(k); ok {
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s.json: %q is empty", lang, k)
		}
		if got := strings.Join(placeholders(text), ","); got != want {
			t.Errorf("%s.json: %q has placeholders {%s}, English {%s}", lang, k, got, want)
		}
		return
	}
	forms := c.Forms(k)
	for _, cat := range i18n.Categories(lang) {
		form, ok := forms[cat]
		if !ok {
			t.Errorf("%s.json: %q lacks its %q form", lang, k, cat)
			continue
		}
		if got := strings.Join(placeholders(form), ","); got != want {
			t.Errorf("%s.json: %q (%s) has placeholders {%s}, English {%s}", lang, k, cat, got, want)
		}
	}
}

func diff(a, b []string) []string {
	var out []string
	for _, k := range a {
		if !slices.Contains(b, k) {
			out = append(out, k)
		}
	}
	return out
}

// TestPageHasNoTextOutsideCatalogues: the page's elements carry no text or
// label of their own (besides the product's name): every one comes from a
// catalogue through a data-i18n attribute.
func TestPageHasNoTextOutsideCatalogues(t *testing.T) {
	data, err := fs.ReadFile(uiFiles, "ui/index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, re := range []string{`(?s)<!--.*?-->`, `(?s)<svg.*?</svg>`, `(?s)<head>.*?</head>`} {
		page = regexp.MustCompile(re).ReplaceAllString(page, "")
	}
	for _, m := range regexp.MustCompile(`>([^<]*[^<\s][^<]*)<`).FindAllStringSubmatch(page, -1) {
		if text := strings.TrimSpace(m[1]); text != "Xphone" && text != "0:00" && text != "0" {
			t.Errorf("index.html has text %q of its own; give its element a data-i18n key", text)
		}
	}
	for _, m := range regexp.MustCompile(`\s(aria-label|title|placeholder|alt)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		t.Errorf("index.html has %s=%q of its own; use data-i18n-%s", m[1], m[2], m[1])
	}
}

// englishLiteral is a JavaScript string that reads like an English
// sentence or label ("Call ended", 'No answer').
var englishLiteral = regexp.MustCompile("['`\"]([A-Z][a-z]+(?: [A-Za-z]+)+[.…]?)['`\"]")

// TestScriptsHaveNoTexts: no English text is written into the UI's code
// (log messages aside): the code names catalogue keys.
func TestScriptsHaveNoTexts(t *testing.T) {
	err := fs.WalkDir(uiFiles, "ui", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		data, err := fs.ReadFile(uiFiles, path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			code := strings.TrimSpace(line)
			if strings.HasPrefix(code, "//") || strings.HasPrefix(code, "*") || strings.HasPrefix(code, "/*") ||
				strings.Contains(code, "console.") || strings.Contains(code, "new Error(") {
				continue
			}
			for _, m := range englishLiteral.FindAllStringSubmatch(code, -1) {
				t.Errorf("%s:%d: text %q in the code; put it in the catalogues", path, i+1, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
