package i18n

import (
	"testing"
	"testing/fstest"
)

func TestPluralCategories(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "one"}, {"en", 0, "other"}, {"en", 2, "other"}, {"en", 11, "other"},
		{"ru", 1, "one"}, {"ru", 21, "one"}, {"ru", 11, "many"}, {"ru", 2, "few"}, {"ru", 24, "few"},
		{"ru", 12, "many"}, {"ru", 5, "many"}, {"ru", 0, "many"}, {"ru", 111, "many"}, {"ru", 101, "one"},
	} {
		if got := PluralCategory(c.lang, c.n); got != c.want {
			t.Errorf("PluralCategory(%s, %d) = %s, want %s", c.lang, c.n, got, c.want)
		}
	}
}

func TestLoadPickAndFill(t *testing.T) {
	fsys := fstest.MapFS{
		"c/en.json": {Data: []byte(`{"@name":"English","hi":"Hello {who}","m":{"one":"{n} minute","other":"{n} minutes"}}`)},
		"c/ru.json": {Data: []byte(`{"@name":"Русский","hi":"Привет, {who}","m":{"one":"{n} минута","few":"{n} минуты","many":"{n} минут"}}`)},
	}
	set, err := Load(fsys, "c")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ choice, accept, want string }{
		{"", "", "en"}, {"", "ru-RU,ru;q=0.9,en;q=0.8", "ru"}, {"", "de-DE, en;q=0.5, ru;q=0.7", "ru"},
		{"en", "ru", "en"}, {"xx", "ru", "ru"}, {"", "*", "en"}, {"", "ru;q=0", "en"},
	} {
		if got := set.Pick(c.choice, c.accept).Lang; got != c.want {
			t.Errorf("Pick(%q, %q) = %s, want %s", c.choice, c.accept, got, c.want)
		}
	}
	ru := set.Get("ru")
	if got := ru.T("hi", "who", "Боб"); got != "Привет, Боб" {
		t.Errorf("T = %q", got)
	}
	if got := ru.N("m", 3); got != "3 минуты" {
		t.Errorf("N(3) = %q", got)
	}
	if got := set.Get("en").N("m", 1); got != "1 minute" {
		t.Errorf("N(1) = %q", got)
	}
	if got := ru.T("missing"); got != "missing" {
		t.Errorf("a missing key gives %q, want the key", got)
	}
	if _, err := Load(fstest.MapFS{"c/ru.json": {Data: []byte(`{}`)}}, "c"); err == nil {
		t.Error("a set without en.json loaded")
	}
	if _, err := Parse("en", []byte(`{"x": 3}`)); err == nil {
		t.Error("a number as a text parsed")
	}
}
