package kavenegar

import "github.com/chelseru/chelseru/sdk/abi"

// statusInfo is one row of Kavenegar's table of return.status codes.
type statusInfo struct {
	class string // an abi.Class* value
	text  string // Kavenegar's documented meaning (used when the answer has no message)
}

// statuses is Kavenegar's table of return.status codes ("جدول کدهای
// برگشتی", kavenegar.com/rest.html#result-general), each mapped onto an
// error class. 200 is success and is not listed. A status not in the table
// is classed by its range (see classify).
var statuses = map[int]statusInfo{
	400: {abi.ClassBadRequest, "پارامترها ناقص هستند"},
	401: {abi.ClassBadCredentials, "حساب کاربری غیرفعال شده است"},
	402: {abi.ClassTemporary, "عملیات ناموفق بود"},
	403: {abi.ClassBadCredentials, "کد شناسائی API-Key معتبر نمی‌باشد"},
	404: {abi.ClassPermanent, "متد نامشخص است"},
	405: {abi.ClassPermanent, "متد Get/Post اشتباه است"},
	406: {abi.ClassBadRequest, "پارامترهای اجباری خالی ارسال شده اند"},
	407: {abi.ClassBadCredentials, "دسترسی به اطلاعات مورد نظر برای شما امکان پذیر نیست"},
	409: {abi.ClassTemporary, "سرور قادر به پاسخگوئی نیست بعدا تلاش کنید"},
	411: {abi.ClassBadRequest, "دریافت کننده نامعتبر است"},
	412: {abi.ClassBadRequest, "ارسال کننده نامعتبر است"},
	413: {abi.ClassBadRequest, "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد"},
	414: {abi.ClassBadRequest, "حجم درخواست بیشتر از حد مجاز است"},
	415: {abi.ClassBadRequest, "اندیس شروع بزرگ تر از کل تعداد شماره های مورد نظر است"},
	416: {abi.ClassBadCredentials, "IP سرویس مبدا با تنظیمات مطابقت ندارد"},
	417: {abi.ClassBadRequest, "تاریخ ارسال اشتباه است و فرمت آن صحیح نمی باشد"},
	418: {abi.ClassOutOfCredit, "اعتبار شما کافی نمی‌باشد"},
	419: {abi.ClassBadRequest, "طول آرایه متن و گیرنده و فرستنده هم اندازه نیست"},
	420: {abi.ClassBadRequest, "استفاده از لینک در متن پیام برای شما محدود شده است"},
	422: {abi.ClassBadRequest, "داده ها به دلیل وجود کاراکتر نامناسب قابل پردازش نیست"},
	424: {abi.ClassBadRequest, "الگوی مورد نظر پیدا نشد"},
	426: {abi.ClassPermanent, "استفاده از این متد نیازمند سرویس پیشرفته می‌باشد"},
	427: {abi.ClassPermanent, "استفاده از این خط نیازمند ایجاد سطح دسترسی می باشد"},
	428: {abi.ClassBadRequest, "ارسال کد از طریق تماس تلفنی امکان پذیر نیست"},
	429: {abi.ClassRateLimited, "IP محدود شده است"},
	431: {abi.ClassBadRequest, "ساختار کد صحیح نمی‌باشد"},
	432: {abi.ClassBadRequest, "پارامتر کد در متن پیام پیدا نشد"},
	451: {abi.ClassRateLimited, "فراخوانی بیش از حد در بازه زمانی مشخص IP محدود شده"},
	501: {abi.ClassPermanent, "فقط امکان ارسال پیام تست به شماره صاحب حساب کاربری وجود دارد"},
	607: {abi.ClassBadRequest, "نام تگ انتخابی اشتباه است"},
}

// classify returns the class and documented text of a Kavenegar status.
// Unlisted statuses: 5xx are temporary, everything else permanent.
func classify(status int) (class, text string) {
	if s, ok := statuses[status]; ok {
		return s.class, s.text
	}
	if status >= 500 && status <= 599 {
		return abi.ClassTemporary, ""
	}
	return abi.ClassPermanent, ""
}
