package lua51

import (
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/sockshell/sockshell/luaapi/bind"
	lua "github.com/yuin/gopher-lua"
)

// start is when the process began, for now().
var start = time.Now()

// lOsClock is os.clock(): the CPU time the process has used, in seconds.
func lOsClock(L *lua.LState) int {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		L.Push(lua.LNumber(time.Since(start).Seconds()))
		return 1
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	L.Push(lua.LNumber(cpu.Seconds()))
	return 1
}

// lOsDate is os.date([format [, time]]) as in C Lua: a format starting
// with "!" is in UTC, "*t" gives a table, anything else goes through
// strftime with the C locale's names. The default format is "%c".
func lOsDate(L *lua.LState) int {
	a := bind.Args{L: L, Fn: "date"}
	format := "%c"
	if L.Get(1) != lua.LNil {
		format = a.Str(1, L.Get(1), "format")
	}
	t := time.Now()
	if L.Get(2) != lua.LNil {
		secs, ok := bind.ToNumber(L.Get(2))
		if !ok {
			a.Raise(2, "number expected, got %s", bind.Describe(L.Get(2)))
		}
		t = time.Unix(int64(secs), 0)
	}
	utc := strings.HasPrefix(format, "!")
	if utc {
		format = format[1:]
		t = t.UTC()
	} else {
		t = t.Local()
	}
	if strings.HasPrefix(format, "*t") {
		tbl := L.NewTable()
		for k, v := range map[string]int{
			"year": t.Year(), "month": int(t.Month()), "day": t.Day(), "hour": t.Hour(),
			"min": t.Minute(), "sec": t.Second(), "wday": int(t.Weekday()) + 1, "yday": t.YearDay(),
		} {
			tbl.RawSetString(k, lua.LNumber(v))
		}
		tbl.RawSetString("isdst", lua.LBool(!utc && t.IsDST()))
		L.Push(tbl)
		return 1
	}
	L.Push(lua.LString(strftime(format, t, utc)))
	return 1
}

// Names in the C locale.
var (
	weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months   = []string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
)

// strftime formats t as C's strftime does in the C locale. utc says t is
// UTC (%Z is then "GMT", as glibc prints for gmtime). Unknown conversions
// are copied as they are.
func strftime(format string, t time.Time, utc bool) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		if (format[i] == 'E' || format[i] == 'O') && i+1 < len(format) {
			i++ // locale modifiers: the C locale has no alternatives
		}
		b.WriteString(conversion(format[i], t, utc))
	}
	return b.String()
}

func conversion(c byte, t time.Time, utc bool) string {
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	isoYear, isoWeek := t.ISOWeek()
	switch c {
	case 'a':
		return weekdays[t.Weekday()][:3]
	case 'A':
		return weekdays[t.Weekday()]
	case 'b', 'h':
		return months[t.Month()-1][:3]
	case 'B':
		return months[t.Month()-1]
	case 'c':
		return strftime("%a %b %e %H:%M:%S %Y", t, utc)
	case 'C':
		return fmt.Sprintf("%02d", t.Year()/100)
	case 'd':
		return fmt.Sprintf("%02d", t.Day())
	case 'D':
		return strftime("%m/%d/%y", t, utc)
	case 'e':
		return fmt.Sprintf("%2d", t.Day())
	case 'F':
		return strftime("%Y-%m-%d", t, utc)
	case 'g':
		return fmt.Sprintf("%02d", isoYear%100)
	case 'G':
		return fmt.Sprint(isoYear)
	case 'H':
		return fmt.Sprintf("%02d", t.Hour())
	case 'I':
		return fmt.Sprintf("%02d", hour12)
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay())
	case 'k':
		return fmt.Sprintf("%2d", t.Hour())
	case 'l':
		return fmt.Sprintf("%2d", hour12)
	case 'm':
		return fmt.Sprintf("%02d", int(t.Month()))
	case 'M':
		return fmt.Sprintf("%02d", t.Minute())
	case 'n':
		return "\n"
	case 'p':
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case 'P':
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case 'r':
		return strftime("%I:%M:%S %p", t, utc)
	case 'R':
		return strftime("%H:%M", t, utc)
	case 's':
		return fmt.Sprint(t.Unix())
	case 'S':
		return fmt.Sprintf("%02d", t.Second())
	case 't':
		return "\t"
	case 'T', 'X':
		return strftime("%H:%M:%S", t, utc)
	case 'u':
		return fmt.Sprint((int(t.Weekday())+6)%7 + 1)
	case 'U':
		return fmt.Sprintf("%02d", (t.YearDay()+6-int(t.Weekday()))/7)
	case 'V':
		return fmt.Sprintf("%02d", isoWeek)
	case 'w':
		return fmt.Sprint(int(t.Weekday()))
	case 'W':
		return fmt.Sprintf("%02d", (t.YearDay()+6-(int(t.Weekday())+6)%7)/7)
	case 'x':
		return strftime("%m/%d/%y", t, utc)
	case 'y':
		return fmt.Sprintf("%02d", t.Year()%100)
	case 'Y':
		return fmt.Sprint(t.Year())
	case 'z':
		return t.Format("-0700")
	case 'Z':
		if utc {
			return "GMT"
		}
		name, _ := t.Zone()
		return name
	case '%':
		return "%"
	}
	return "%" + string(c)
}
