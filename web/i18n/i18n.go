// Package i18n holds Xphone's user-visible texts: one JSON catalogue per
// language (web/ui/i18n/LANG.json, served to the browser UI as they are),
// read by the server for the pages it renders itself (admin status,
// "disabled") and for the texts of its HTTP API errors. The browser
// translates on its own (web/ui/i18n.js) from the same files.
//
// A catalogue maps keys to texts. A text may hold {name} placeholders; a
// key whose value is an object is counted: its members are the plural
// categories of the language (CLDR: "one", "few", "many", "other") and
// {n} is the count. The key "@name" is the language's own name, for the
// language choice.
package i18n

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Fallback is the language used when nothing better matches; its catalogue
// is the reference every other one must match.
const Fallback = "en"

// ErrCatalogue reports a catalogue that cannot be read or is malformed.
var ErrCatalogue = errors.New("i18n: bad catalogue")

// Catalogue is one language's texts.
type Catalogue struct {
	Lang   string
	texts  map[string]string
	counts map[string]map[string]string // key → plural category → text
}

// Set is every catalogue, by language code.
type Set struct {
	byLang map[string]*Catalogue
}

// Load reads every LANG.json in dir of fsys.
func Load(fsys fs.FS, dir string) (*Set, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("%w: no *.json in %s (%v)", ErrCatalogue, dir, err)
	}
	s := &Set{byLang: map[string]*Catalogue{}}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCatalogue, f, err)
		}
		c, err := Parse(strings.TrimSuffix(path.Base(f), ".json"), data)
		if err != nil {
			return nil, err
		}
		s.byLang[c.Lang] = c
	}
	if s.byLang[Fallback] == nil {
		return nil, fmt.Errorf("%w: no %s.json in %s", ErrCatalogue, Fallback, dir)
	}
	return s, nil
}

// Parse reads one catalogue.
func Parse(lang string, data []byte) (*Catalogue, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCatalogue, lang, err)
	}
	c := &Catalogue{Lang: lang, texts: map[string]string{}, counts: map[string]map[string]string{}}
	for k, v := range raw {
		var text string
		if err := json.Unmarshal(v, &text); err == nil {
			c.texts[k] = text
			continue
		}
		var forms map[string]string
		if err := json.Unmarshal(v, &forms); err != nil {
			return nil, fmt.Errorf("%w: %s: %q is neither a text nor plural forms", ErrCatalogue, lang, k)
		}
		c.counts[k] = forms
	}
	return c, nil
}

// Langs lists the languages, sorted.
func (s *Set) Langs() []string {
	out := make([]string, 0, len(s.byLang))
	for l := range s.byLang {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Get returns lang's catalogue, or nil.
func (s *Set) Get(lang string) *Catalogue { return s.byLang[lang] }

// Pick chooses the catalogue for a request: the user's explicit choice
// (the UI's language cookie) when it names a catalogue, else the best
// match of the browser's Accept-Language, else the fallback.
func (s *Set) Pick(choice, acceptLanguage string) *Catalogue {
	if c := s.byLang[choice]; c != nil {
		return c
	}
	for _, l := range preferred(acceptLanguage) {
		if c := s.byLang[l]; c != nil {
			return c
		}
	}
	return s.byLang[Fallback]
}

// preferred lists the primary language subtags of an Accept-Language
// header, most wanted first ("ru-RU,ru;q=0.9,en;q=0.5" → ru, ru, en).
func preferred(header string) []string {
	type want struct {
		lang string
		q    float64
	}
	var ws []want
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary != "" && primary != "*" && q > 0 {
			ws = append(ws, want{primary, q})
		}
	}
	slices.SortStableFunc(ws, func(a, b want) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.lang
	}
	return out
}

// T returns the text of key with its {placeholders} filled from args,
// given as name, value pairs. A missing key gives the key itself, so a gap
// is visible (and the catalogue test fails first).
func (c *Catalogue) T(key string, args ...any) string {
	text, ok := c.texts[key]
	if !ok {
		return key
	}
	return fill(text, args)
}

// N returns key's text for the count n ({n} is n), in the plural form the
// language uses for n.
func (c *Catalogue) N(key string, n int, args ...any) string {
	forms, ok := c.counts[key]
	if !ok {
		return key
	}
	text, ok := forms[PluralCategory(c.Lang, n)]
	if !ok {
		text = forms["other"]
	}
	return fill(text, append([]any{"n", n}, args...))
}

// Has reports whether key is in the catalogue (as a text or counted).
func (c *Catalogue) Has(key string) bool {
	_, t := c.texts[key]
	_, n := c.counts[key]
	return t || n
}

// Keys lists every key, sorted.
func (c *Catalogue) Keys() []string {
	out := make([]string, 0, len(c.texts)+len(c.counts))
	for k := range c.texts {
		out = append(out, k)
	}
	for k := range c.counts {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Forms returns key's plural forms (nil for a plain text).
func (c *Catalogue) Forms(key string) map[string]string { return c.counts[key] }

// Text returns key's plain text and whether it has one.
func (c *Catalogue) Text(key string) (string, bool) {
	t, ok := c.texts[key]
	return t, ok
}

func fill(text string, args []any) string {
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// PluralCategory is the CLDR plural category of the integer n in lang:
// English has one and other; Russian one, few, many (and other for
// fractions, which Xphone never counts).
func PluralCategory(lang string, n int) string {
	if n < 0 {
		n = -n
	}
	switch lang {
	case "ru", "uk", "be":
		switch mod10, mod100 := n%10, n%100; {
		case mod10 == 1 && mod100 != 11:
			return "one"
		case mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14):
			return "few"
		default:
			return "many"
		}
	default:
		if n == 1 {
			return "one"
		}
		return "other"
	}
}

// Categories lists the plural categories a counted text of lang needs.
func Categories(lang string) []string {
	switch lang {
	case "ru", "uk", "be":
		return []string{"one", "few", "many"}
	default:
		return []string{"one", "other"}
	}
}
