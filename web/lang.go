package web

import (
	"github.com/gin-gonic/gin"

	"xphone/web/i18n"
)

// langCookie is where the UI keeps its user's language choice ("Language"),
// so the pages the server renders (admin status, "disabled") follow it.
const langCookie = "xphone_lang"

// loadTexts reads the UI's catalogues (web/ui/i18n/*.json).
func loadTexts() (*i18n.Set, error) { return i18n.Load(uiFiles, "ui/i18n") }

// textsFor picks the catalogue for a request: the language cookie, else
// the browser's Accept-Language, else English.
func (s *Server) textsFor(c *gin.Context) *i18n.Catalogue {
	choice, _ := c.Cookie(langCookie)
	return s.texts.Pick(choice, c.GetHeader("Accept-Language"))
}

// apiError answers an API request with status, a code the UI translates
// and the text in the request's language (for other clients).
func (s *Server) apiError(c *gin.Context, status int, code string, extra ...any) {
	body := gin.H{"code": code, "error": s.textsFor(c).T("login.error." + code)}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	c.JSON(status, body)
}
