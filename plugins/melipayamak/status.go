package melipayamak

import "github.com/chelseru/chelseru/sdk/abi"

// codeInfo is one row of Meli Payamak's table of return codes.
type codeInfo struct {
	class string // an abi.Class* value
	text  string // Meli Payamak's documented meaning
}

// codes is Meli Payamak's table of return codes of SendSMS (RetStatus, or
// Value) and of the shared service line BaseServiceNumber (Value; the
// negative codes are the pattern service's), mapped onto error classes. 1 is
// success and is not listed. An unlisted code is permanent.
var codes = map[string]codeInfo{
	"0":    {abi.ClassBadCredentials, "نام کاربری یا رمز عبور اشتباه می‌باشد"},
	"2":    {abi.ClassOutOfCredit, "اعتبار کافی نمی‌باشد"},
	"3":    {abi.ClassRateLimited, "محدودیت در ارسال روزانه"},
	"4":    {abi.ClassRateLimited, "محدودیت در حجم ارسال"},
	"5":    {abi.ClassBadRequest, "شماره فرستنده معتبر نمی‌باشد"},
	"6":    {abi.ClassTemporary, "سامانه در حال بروزرسانی می‌باشد"},
	"7":    {abi.ClassBadRequest, "متن حاوی کلمه فیلتر شده می‌باشد"},
	"9":    {abi.ClassPermanent, "ارسال از خطوط عمومی از طریق وب سرویس امکان‌پذیر نمی‌باشد"},
	"10":   {abi.ClassBadCredentials, "کاربر مورد نظر فعال نمی‌باشد"},
	"11":   {abi.ClassTemporary, "ارسال نشده"},
	"12":   {abi.ClassPermanent, "مدارک کاربر کامل نمی‌باشد"},
	"14":   {abi.ClassBadRequest, "متن حاوی لینک می‌باشد"},
	"15":   {abi.ClassBadRequest, "ارسال به بیش از ۱ شماره همراه بدون درج «لغو۱۱» ممکن نیست"},
	"16":   {abi.ClassBadRequest, "شماره گیرنده‌ای یافت نشد"},
	"17":   {abi.ClassBadRequest, "متن پیامک خالی می‌باشد"},
	"18":   {abi.ClassBadRequest, "شماره گیرنده نامعتبر است"},
	"35":   {abi.ClassPermanent, "شماره گیرنده در لیست سیاه مخابرات است"},
	"-1":   {abi.ClassPermanent, "دسترسی به وب‌سرویس پترن غیرفعال است"},
	"-2":   {abi.ClassBadRequest, "در هر ارسال فقط یک شماره گیرنده مجاز است"},
	"-3":   {abi.ClassBadRequest, "خط ارسال‌کننده در سیستم تعریف نشده است"},
	"-4":   {abi.ClassBadRequest, "کد متن (bodyId) صحیح نیست یا هنوز تأیید نشده است"},
	"-5":   {abi.ClassBadRequest, "متغیرهای متن با متغیرهای الگو هم‌خوانی ندارد"},
	"-6":   {abi.ClassTemporary, "خطای داخلی رخ داده است"},
	"-7":   {abi.ClassPermanent, "خطا در شماره فرستنده؛ با پشتیبانی تماس بگیرید"},
	"-10":  {abi.ClassBadRequest, "در میان متغیرهای ارسالی لینک وجود دارد"},
	"-108": {abi.ClassBadCredentials, "IP به دلیل تلاش‌های ناموفق مسدود شده است"},
	"-109": {abi.ClassBadCredentials, "تنظیم IP مجاز برای استفاده از API الزامی است"},
	"-110": {abi.ClassBadCredentials, "استفاده از ApiKey به جای رمز عبور الزامی است"},
}
