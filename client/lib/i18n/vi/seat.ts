/** The tablet setup page (/seat/): staff give a shared tablet its seat label. */
export const seat = {
  'seat.title': 'Đặt tên máy',
  'seat.intro': 'Dành cho giảng viên và người hỗ trợ: đặt tên cho máy tính bảng này. Tên được giữ lại qua các người học và các buổi học.',
  'tablet.seat': 'Tên máy, ví dụ: Bàn 3 – Máy 2',
  'tablet.code': 'Mã cài máy (ở trang chủ của giảng viên) hoặc mã người hỗ trợ của lớp đang học',
  'seat.needCode': 'Hãy gõ mã gồm 6 chữ và số, ví dụ K7M2QD. Mã cài máy ở trang chủ của giảng viên, dưới danh sách địa chỉ.',
  'seat.wrongCode':
    'Mã này không đúng. Hãy xem lại “Mã cài máy tính bảng” trên trang chủ của giảng viên, hoặc hỏi giảng viên mã người hỗ trợ của lớp đang học.',
  'seat.tooMany': 'Sai mã quá nhiều lần. Hãy chờ một phút rồi gõ lại mã cài máy trên trang chủ của giảng viên.',
  'seat.badSeat': 'Tên máy chỉ gồm chữ, số và dấu, tối đa 40 ký tự, ví dụ: Bàn 3 – Máy 2.',
  'tablet.save': 'Lưu tên máy',
  'seat.saved': 'Đã lưu. Máy này tên là: {seat}',
  'seat.back': 'Về màn hình vào lớp',
};
