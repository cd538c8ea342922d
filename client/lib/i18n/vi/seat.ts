/** The tablet setup page (/seat/): staff give a shared tablet its seat label. */
export const seat = {
  'seat.title': 'Đặt tên máy',
  'seat.intro': 'Dành cho giảng viên và người hỗ trợ: đặt tên cho máy tính bảng này. Tên được giữ lại qua các người học và các buổi học.',
  'tablet.seat': 'Tên máy, ví dụ: Bàn 3 – Máy 2',
  'tablet.code': 'Mã người hỗ trợ của một lớp đang học',
  'tablet.save': 'Lưu tên máy',
  'seat.saved': 'Đã lưu. Máy này tên là: {seat}',
  'seat.back': 'Về màn hình vào lớp',
};
